using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace StyleBlazor.Results.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddJobId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "JobId",
                table: "Results",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Results_JobId",
                table: "Results",
                column: "JobId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Results_JobId",
                table: "Results");

            migrationBuilder.DropColumn(
                name: "JobId",
                table: "Results");
        }
    }
}
