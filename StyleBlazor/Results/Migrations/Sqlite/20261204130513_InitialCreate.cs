using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace StyleBlazor.Results.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Results",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    OwnerHash = table.Column<byte[]>(type: "BLOB", nullable: false),
                    TokenHash = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Outcome = table.Column<string>(type: "TEXT", nullable: false),
                    Backbone = table.Column<string>(type: "TEXT", nullable: false),
                    OptionsJson = table.Column<string>(type: "TEXT", nullable: false),
                    LossHistoryJson = table.Column<string>(type: "TEXT", nullable: false),
                    Width = table.Column<int>(type: "INTEGER", nullable: false),
                    Height = table.Column<int>(type: "INTEGER", nullable: false),
                    BestIteration = table.Column<int>(type: "INTEGER", nullable: false),
                    IterationsRun = table.Column<int>(type: "INTEGER", nullable: false),
                    ElapsedSeconds = table.Column<double>(type: "REAL", nullable: false),
                    FrameIterations = table.Column<string>(type: "TEXT", nullable: false),
                    FrameFormat = table.Column<string>(type: "TEXT", nullable: false),
                    HasUploads = table.Column<bool>(type: "INTEGER", nullable: false),
                    StoredBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Results", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Results_ExpiresAt",
                table: "Results",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_Results_OwnerHash",
                table: "Results",
                column: "OwnerHash");

            migrationBuilder.CreateIndex(
                name: "IX_Results_TokenHash",
                table: "Results",
                column: "TokenHash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Results");
        }
    }
}
