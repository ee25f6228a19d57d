using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace StyleBlazor.Results.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddStyleCount : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Results stored before several styles each had one style picture (style.jpg).
            migrationBuilder.AddColumn<int>(
                name: "StyleCount",
                table: "Results",
                type: "integer",
                nullable: false,
                defaultValue: 1);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "StyleCount",
                table: "Results");
        }
    }
}
