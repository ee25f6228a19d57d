using System.Text.Json;
using System.Text.RegularExpressions;
using StyleBlazor.Tests.EndToEnd;

namespace StyleBlazor.Tests.Hardening;

/// <summary>The Docker image configures the app through ENV; a name the app does not read is a setting silently lost.</summary>
public class DockerfileTests
{
    /// <summary>Environment that is not the app's configuration: the loader's preloads, and the host's own ASPNETCORE_/DOTNET_ settings.</summary>
    static bool IsProcessSetting(string name) => name is "LD_PRELOAD" || name.StartsWith("ASPNETCORE_") || name.StartsWith("DOTNET_");

    [Fact]
    public void EveryEnvInTheDockerfileNamesASettingTheAppReads()
    {
        var settings = ConfigurationKeys(Path.Combine(AppServer.RepositoryRoot, "StyleBlazor", "appsettings.json"));
        var variables = EnvVariables(File.ReadAllText(Path.Combine(AppServer.RepositoryRoot, "Dockerfile")));

        Assert.Contains("Results__DataDirectory", variables); // the parser sees the image's settings
        Assert.All(variables.Where(v => !IsProcessSetting(v)), variable =>
        {
            // Environment variables reach configuration with "__" for ":" (Results__DataDirectory is Results:DataDirectory).
            var key = variable.Replace("__", ":");
            Assert.True(settings.Contains(key), $"ENV {variable} names '{key}', which is not a setting in appsettings.json");
        });
    }

    [Fact]
    public void TheParserReadsEveryNameOfAMultiLineEnv()
    {
        var variables = EnvVariables("""
            FROM x
            ENV A="one two" \
                B_C__D=/app/data \
                E=3
            ENV F 4
            RUN echo G=5
            """);

        Assert.Equal(["A", "B_C__D", "E", "F"], variables);
    }

    static List<string> EnvVariables(string dockerfile)
    {
        var joined = Regex.Replace(dockerfile, @"\\\r?\n", " ");
        var names = new List<string>();
        foreach (Match env in Regex.Matches(joined, @"^\s*ENV\s+(.+)$", RegexOptions.Multiline))
        {
            var body = env.Groups[1].Value.Trim();
            if (!body.Contains('=')) { names.Add(body.Split(' ', 2)[0]); continue; } // the old "ENV NAME value" form
            foreach (Match pair in Regex.Matches(body, @"([A-Za-z_][A-Za-z0-9_]*)=(""[^""]*""|\S*)")) names.Add(pair.Groups[1].Value);
        }
        return names;
    }

    /// <summary>Every key in appsettings.json, sections and leaves, as configuration names them (<c>Results:DataDirectory</c>).</summary>
    static HashSet<string> ConfigurationKeys(string appsettings)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(appsettings), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Walk(JsonElement element, string prefix)
        {
            if (prefix.Length > 0) keys.Add(prefix);
            if (element.ValueKind == JsonValueKind.Object)
                foreach (var property in element.EnumerateObject()) Walk(property.Value, prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}");
        }
        Walk(document.RootElement, "");
        return keys;
    }
}
