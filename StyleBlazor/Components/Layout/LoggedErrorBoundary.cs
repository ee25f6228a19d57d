using Microsoft.AspNetCore.Components.Web;
using StyleBlazor.Jobs;

namespace StyleBlazor.Components.Layout;

/// <summary>
/// An error boundary that logs a page's exception under an error id and shows the user only that id, so exception
/// messages (paths, library internals) stay in the log.
/// </summary>
public sealed class LoggedErrorBoundary : ErrorBoundary
{
    [Microsoft.AspNetCore.Components.Inject] ILogger<LoggedErrorBoundary> Logger { get; set; } = default!;

    public static string ErrorIdOf(Exception error) => error.Data[nameof(ErrorId)] as string ?? "?";

    protected override Task OnErrorAsync(Exception exception)
    {
        var errorId = ErrorId.New();
        exception.Data[nameof(ErrorId)] = errorId;
        Logger.LogError(exception, "A page failed (error {ErrorId})", errorId);
        return Task.CompletedTask;
    }
}
