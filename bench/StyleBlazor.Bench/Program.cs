using System.Globalization;
using StyleBlazor.Bench;

// styleblazor-bench [compare] [--sizes 256,512] [--iterations N] ...   the whole comparison (default)
// styleblazor-bench worker --backbone vgg19 --size 512 ...              one app measurement (child process)
// styleblazor-bench memory [--size 128] [--early 100] [--late 1000]      memory-flatness check of the engine
// styleblazor-bench dump-weights --seed 0 --out FILE                     the random VGG19 for the peer
// styleblazor-bench profile [--size 512] [--interop N] [--malloc reuse] [--winograd auto|on|off]   one iteration, phase by phase
// styleblazor-bench profile --backbone resnet18 [--size 512]            one ResNet18 step phase by phase, then layer by layer
// styleblazor-bench endtoend [--endtoend-repeats 4] [--endtoend-side 512]  the web app: first frame, 10 watchers on/off
// styleblazor-bench precision [--size 512] [--loop N]                   float32 against bfloat16 convolutions (an experiment)
// styleblazor-bench kernels [--size 512] [--iterations 4]                convolutions, pools, Gram matrices, Winograd, each timed
// styleblazor-bench time-to-result [--pairs cat,panda] [--modes cli,load,studio] [--repeats 1] [--app DLL] the default picture: wall, first frame, J
// styleblazor-bench schedule --pair cat --out x.png [--iterations N --coarse N --stages 0.25:3,0.5:1] [--precision bfloat16]  one run, its stages' times and J
// styleblazor-bench eta-replay --histories a.jsonl,b.jsonl [--one-app --fixed-pixels 60000]   the remaining-time estimate again over recorded runs
// styleblazor-bench kernels --backbone resnet18 [--size 512]            ResNet18's blur, stem, pool and 3x3 convolutions, each way
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var verb = args.Length > 0 && !args[0].StartsWith("--") ? args[0] : "compare";
var a = new Args(verb == "compare" && (args.Length == 0 || args[0].StartsWith("--")) ? args : args[1..]);
try
{
    return verb switch
    {
        "worker" => Worker.Run(new RunSettings(a.Str("backbone", "vgg19"), a.Int("size", 256), a.Int("iterations", 5),
            a.Int("warmup", 2), a.Int("threads", 2), a.Int("seed", 0))
        {
            InteropThreads = a.Int("interop", 0), Frames = a.Flag("frames"), Malloc = a.Str("malloc", "default"),
            ChannelsLast = a.StrOrNull("channels-last"), Precision = a.Str("precision", "float32"),
            ResNetChannelsLast = a.StrOrNull("resnet-nhwc"),
        }),
        "memory" => MemoryCheck.Run(a.Str("backbone", "vgg19"), a.Int("size", 128), a.Int("early", 100), a.Int("late", 1000),
            a.Int("threads", 2), a.StrOrNull("channels-last"), a.Str("malloc", "default")),
        "dump-weights" => Worker.DumpWeights(a.Int("seed", 0), a.Str("out", "vgg19-random.bin")),
        "compare" => Compare.Run(a),
        "endtoend" => EndToEnd.RunVerb(a),
        "precision" => PrecisionProbe.Run(a.Int("size", 512), a.Int("iterations", 3), a.Int("loop", 0), a.Str("malloc", "reuse")),
        "time-to-result" => TimeToResult.Run(a),
        "schedule" => ScheduleRun.Run(a),
        "eta-replay" => EtaReplay.Run(a),
        "kernels" when a.Str("backbone", "vgg19") == "resnet18" => ResNetKernels.Run(a.Int("size", 512), a.Int("iterations", 4), a.Int("threads", 2)),
        "kernels" => KernelProbes.Run(a.Int("size", 512), a.Int("iterations", 4)),
        "profile" when a.Str("backbone", "vgg19") == "resnet18" => ResNetProfile.Run(a.Int("size", 512), a.Int("iterations", 5), a.Int("threads", 2), a.Str("malloc", "reuse"),
            a.StrOrNull("precision"), a.StrOrNull("resnet-nhwc")),
        "profile" => Profile.Run(a.Int("size", 512), a.Int("iterations", 5), a.Int("threads", 2), a.Int("interop", 0), a.Str("malloc", "reuse"), a.Str("winograd", "auto")),
        _ => throw new ArgumentException($"Unknown verb '{verb}' (compare, worker, memory, profile, endtoend, precision, kernels, time-to-result, schedule, eta-replay, dump-weights)."),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

/// <summary>--name value pairs and --flag switches.</summary>
sealed class Args
{
    readonly Dictionary<string, string?> _values = new();

    public Args(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--")) throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            var name = args[i][2..];
            // A value may itself start with "--" when it holds several words (--stylize-args "--size 128 --iterations 600"): no name has a space.
            string? value = i + 1 < args.Length && (!args[i + 1].StartsWith("--") || args[i + 1].Contains(' ')) ? args[++i] : null;
            _values[name] = value;
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);
    public bool Flag(string name) => _values.TryGetValue(name, out var v) && v is null or "true" or "on" or "1";
    public string? StrOrNull(string name) => _values.GetValueOrDefault(name);
    public string Str(string name, string fallback) => _values.GetValueOrDefault(name) ?? fallback;
    public int Int(string name, int fallback) => _values.GetValueOrDefault(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public int[] Ints(string name, int[] fallback) => _values.GetValueOrDefault(name) is { } v
        ? v.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : fallback;
    public string[] Strs(string name, string[] fallback) => _values.GetValueOrDefault(name) is { } v
        ? v.Split(',', StringSplitOptions.RemoveEmptyEntries) : fallback;
}
