using System.ComponentModel.DataAnnotations;

namespace StyleBlazor.ScaleOut;

/// <summary>What a node does (<c>Node:Role</c>).</summary>
public enum NodeRole
{
    /// <summary>Everything in one process: UI, hub, API and the engine (the default; with no Redis, today's single box).</summary>
    All,

    /// <summary>The UI, the hub and the API; no torch threads. Needs Redis (the shared queue).</summary>
    Web,

    /// <summary>The engine only: loads the backbone and runs jobs from the shared queue; no UI. Needs Redis.</summary>
    Worker,
}

/// <summary>This node in a deployment of several (section <c>Node</c>); see docs/scale-out.md.</summary>
public sealed class NodeOptions : IValidatableObject
{
    public const string Section = "Node";

    public NodeRole Role { get; set; } = NodeRole.All;

    /// <summary>A name for this node in logs and in the shared queue (its consumer name); empty = host name and process id.</summary>
    public string Name { get; set; } = "";

    /// <summary>Keys and channels in Redis start with this, so several deployments (or test runs) can share one server.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{1,64}$")]
    public string RedisPrefix { get; set; } = "styleblazor";

    public bool ServesUi => Role != NodeRole.Worker;
    public bool RunsJobs => Role != NodeRole.Web;

    public string NodeName => Name is { Length: > 0 } name ? name : $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary><c>ConnectionStrings:Redis</c>, read with the rest so one validation can say what a role needs.</summary>
    public string? RedisConnectionString { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Role != NodeRole.All && string.IsNullOrWhiteSpace(RedisConnectionString))
            yield return new ValidationResult($"Node:Role={Role} shares its queue with other nodes through Redis: set ConnectionStrings:Redis.");
    }
}
