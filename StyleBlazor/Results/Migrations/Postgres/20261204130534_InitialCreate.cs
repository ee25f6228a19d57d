using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace StyleBlazor.Results.Migrations.Postgres
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
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    OwnerHash = table.Column<byte[]>(type: "bytea", nullable: false),
                    TokenHash = table.Column<byte[]>(type: "bytea", nullable: false),
                    Outcome = table.Column<string>(type: "text", nullable: false),
                    Backbone = table.Column<string>(type: "text", nullable: false),
                    OptionsJson = table.Column<string>(type: "text", nullable: false),
                    LossHistoryJson = table.Column<string>(type: "text", nullable: false),
                    Width = table.Column<int>(type: "integer", nullable: false),
                    Height = table.Column<int>(type: "integer", nullable: false),
                    BestIteration = table.Column<int>(type: "integer", nullable: false),
                    IterationsRun = table.Column<int>(type: "integer", nullable: false),
                    ElapsedSeconds = table.Column<double>(type: "double precision", nullable: false),
                    FrameIterations = table.Column<List<int>>(type: "integer[]", nullable: false),
                    FrameFormat = table.Column<string>(type: "text", nullable: false),
                    HasUploads = table.Column<bool>(type: "boolean", nullable: false),
                    StoredBytes = table.Column<long>(type: "bigint", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
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
