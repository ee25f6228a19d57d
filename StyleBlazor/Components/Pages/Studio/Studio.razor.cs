using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;
using MudBlazor;
using StyleBlazor.Components.Progression;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Jobs;
using StyleBlazor.Studio;

namespace StyleBlazor.Components.Pages.Studio;

/// <summary>
/// The studio: pick a content picture and one or more style pictures (each with its weight in the mix), set the
/// parameters, start, and watch the picture improve. The session's pictures,
/// parameters and current job live in <see cref="StudioState"/>, so they survive a visit to another page.
/// </summary>
public partial class Studio
{
    enum Slot { None, Content, Style }

    ProgressionCanvas? _canvas;
    ParameterForm? _form;
    IReadOnlyDictionary<string, string> _problems = new Dictionary<string, string>();
    IJSObjectReference? _downloads;
    CancellationTokenSource? _replay;
    Slot _decoding;
    int _decodingStyle;
    bool _ready;
    bool _cancelRequested;
    bool _downloading;
    bool _playing;
    int _replayIndex;

    /// <summary>The job's state; null before the first job of this session.</summary>
    JobState? Phase => Timeline?.State;
    /// <summary>The phase's data attribute: a <see cref="JobState"/> name, or Idle.</summary>
    string PhaseName => Phase?.ToString() ?? "Idle";
    /// <summary>What the phase chip says: the phase, or Saving once the last iteration is done and the result is stored.</summary>
    string PhaseText => Timeline?.IsSaving == true ? L["PhaseSaving"] : L[$"Phase{PhaseName}"];
    bool IsActive => Phase is JobState.Queued or JobState.Running;
    bool CanStart => !IsActive && _form is not null && State.Content is not null && State.Styles.All(s => s.Image is not null)
                     && _decoding == Slot.None && _problems.Count == 0 && StyleMixProblem is null;

    /// <summary>What is wrong with the style mix as a whole, or null: the weights of several styles must not all be zero.</summary>
    string? StyleMixProblem => State.Styles.Count > 1 && State.Styles.All(s => s.Weight <= 0) ? L["StyleWeightsAllZero"].Value : null;

    /// <summary>The first style keeps the id it had when there was one (tests and bookmarks of the page's parts rely on it).</summary>
    static string StyleTestId(int index) => index == 0 ? "style-upload" : $"style-upload-{index + 1}";
    string WatchPath => $"/watch/{Timeline?.JobId}";
    /// <summary>The stored result's permanent link once there is one; the live view before that.</summary>
    string ShareLink => Nav.ToAbsoluteUri(Timeline?.ShareLink ?? WatchPath).ToString();

    Color PhaseColor => Phase switch
    {
        JobState.Queued => Color.Secondary,
        JobState.Running => Color.Primary,
        JobState.Completed => Color.Success,
        JobState.Failed or JobState.Interrupted => Color.Error,
        JobState.Cancelled => Color.Warning,
        _ => Color.Default,
    };

    IReadOnlyDictionary<string, double>? LayerWeights =>
        Timeline?.Options?.StyleLayers.ToDictionary(l => l.Layer, l => l.Weight);

    BackboneInfo? Backbone(string? name) => Jobs.Backbones?.Find(name) ?? Jobs.Backbones?.Default;

    protected override async Task OnInitializedAsync()
    {
        _form = State.Parameters;
        if (_form is null && Backbone(null) is { } backbone) _form = State.Parameters = ParameterPresets.Create(ParameterPreset.ArticleDefaults, backbone);
        Revalidate();
        if (State.CurrentJob is { } job)
        {
            // Back from another page: pick the job up again (its snapshot comes first: state, history, the share link),
            // or keep what was seen if it is gone.
            await FollowAsync(job.JobId, job);
            _replayIndex = Math.Max(0, job.Frames.Count - 1);
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        LiveCanvas = _playing ? null : _canvas;
        if (firstRender)
        {
            // Interactive from here on: browser tests (and impatient users) wait for this marker. Shown after the
            // children's own first after-render, which runs once this method yields: each file input starts listening
            // there (a JS call), and a marker sent before those calls let a picture chosen at once be lost.
            await Task.Yield();
            _ready = true;
            StateHasChanged();
        }
    }

    void Revalidate()
    {
        if (_form is null) return;
        var layers = Backbone(_form.Backbone)?.Layers.Select(l => l.Name).ToArray() ?? [];
        _problems = _form.Validate(layers);
    }

    void ApplyPreset(ParameterPreset preset)
    {
        if (Backbone(_form?.Backbone) is not { } backbone) return;
        _form = State.Parameters = ParameterPresets.Create(preset, backbone);
        Revalidate();
    }

    void ChangeBackbone(string name)
    {
        if (Backbone(name) is not { } backbone) return;
        _form = State.Parameters = ParameterPresets.Create(ParameterPreset.ArticleDefaults, backbone);
        Revalidate();
    }

    void AddStyle() => State.AddStyle(Jobs.MaxStyles);

    void RemoveStyle(int index) => State.RemoveStyle(index);

    static void SetStyleWeight(StyleChoice choice, double weight) => choice.Weight = Math.Max(0, weight);

    async Task OnFileAsync(Slot slot, IBrowserFile file, int styleIndex = 0)
    {
        // The browser's stream may run to the file's full size; the intake stops reading one byte past its limit and
        // refuses, so the user hears the real size instead of a transport error.
        await DecodeAsync(slot, async ct =>
        {
            await using var stream = file.OpenReadStream(Math.Max(file.Size, 1), ct);
            return await Decoder.DecodeAsync(stream, file.Name, cancellationToken: ct);
        }, file.Name, file.Size, styleIndex);
    }

    async Task OnSampleAsync(Slot slot, SampleImage sample, int styleIndex = 0)
    {
        await DecodeAsync(slot, async ct =>
        {
            await using var stream = Gallery.OpenRead(sample);
            return await Decoder.DecodeAsync(stream, sample.FileName, sample.Attribution, ct);
        }, sample.FileName, null, styleIndex);
    }

    async Task DecodeAsync(Slot slot, Func<CancellationToken, Task<StudioImage>> decode, string userName, long? byteCount, int styleIndex)
    {
        var name = SafeFileName.ForDisplay(userName);
        _decoding = slot;
        _decodingStyle = styleIndex;
        var choice = slot == Slot.Style ? State.Styles[styleIndex] : null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var image = await decode(timeout.Token);
            if (slot == Slot.Content) State.SetContent(image);
            // The slot may have been removed while the picture was decoding.
            else if (choice is not null && State.Styles.Contains(choice)) choice.Image = image;
            else image.Dispose();
            PrepareContent();
        }
        catch (ImageRejectedException ex)
        {
            Log.LogInformation("Upload of {Name} refused: {Code}", name, ex.Code);
            Snackbar.Add(L["ImageRejected", name, ImageRejectionText.Describe(L, ex, byteCount)], Severity.Warning);
        }
        catch (IOException ex)
        {
            // Raised by the browser stream for interrupted uploads.
            Log.LogInformation(ex, "Upload of {Name} failed", name);
            Snackbar.Add(L["ImageRejected", name, L["UnreadableImage"]], Severity.Warning);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.LogWarning(ex, "Could not read {Name}", name);
            Snackbar.Add(L["ImageRejected", name, L["UnreadableImage"]], Severity.Error);
        }
        finally
        {
            _decoding = Slot.None;
        }
    }

    /// <summary>
    /// While the user picks the rest, an idle engine makes what the job will need of the photo alone (its content
    /// targets): at 512 px on two CPU cores ~1.5–2 s that Start no longer waits for. Asked again on each pick, as the
    /// parameters may have changed; what is already made is not made again.
    /// </summary>
    void PrepareContent()
    {
        if (_form is null || _problems.Count > 0 || State.Content is not { } content || IsActive) return;
        Jobs.PrepareContent(content.ClonePixels(), _form.ToOptions(), _form.Backbone);
    }

    async Task StartAsync()
    {
        Revalidate();
        if (_form is null || _problems.Count > 0)
        {
            Snackbar.Add(L["FixParameters"], Severity.Warning);
            return;
        }
        if (State.Content is not { } content || State.Styles.Any(s => s.Image is null))
        {
            Snackbar.Add(L["PickBoth"], Severity.Warning);
            return;
        }

        StopReplay();
        if (Owner.Requester is not { } requester)
        {
            Snackbar.Add(L["SubmitFailed"], Severity.Error);
            return;
        }
        SubmitResult result;
        try
        {
            // One weight per style, as --style-weights gives them; a single style needs none.
            var options = _form.ToOptions() with { StyleBlend = State.Styles.Count > 1 ? State.Styles.Select(s => s.Weight).ToArray() : [] };
            result = await Jobs.SubmitAsync(new StudioSubmission(requester, content.ClonePixels(),
                State.Styles.Select(s => s.Image!.ClonePixels()).ToArray(), options, _form.Backbone));
        }
        catch (Exception ex)
        {
            Log.LogError(ex, "Submitting a job failed");
            Snackbar.Add(L["SubmitFailed"], Severity.Error);
            return;
        }
        if (result.JobId is not { } jobId)
        {
            Snackbar.Add(result.Refusal ?? L["SubmitFailed"], Severity.Warning);
            return;
        }

        _cancelRequested = false;
        _replayIndex = 0;
        if (_canvas is not null) await _canvas.ClearAsync();
        if (!await FollowAsync(jobId)) Snackbar.Add(L["JobVanished"], Severity.Error);
        State.CurrentJob = Timeline;
    }

    async Task CancelAsync()
    {
        if (Timeline is null) return;
        _cancelRequested = Owner.Id is { } owner && await Jobs.CancelAsync(Timeline.JobId, owner);
        if (!_cancelRequested) Snackbar.Add(L["CancelRefused"], Severity.Info);
    }

    protected override void OnTimelineChanged(JobUpdate update)
    {
        if (update is JobUpdate.Ended end)
        {
            _cancelRequested = false;
            _replayIndex = Math.Max(0, (Timeline?.Frames.Count ?? 1) - 1);
            if (end.State == JobState.Completed) Snackbar.Add(L["JobCompleted"], Severity.Success);
        }
    }

    async Task ScrubTo(int index)
    {
        StopReplay();
        await ShowReplayFrame(index);
    }

    async Task ShowReplayFrame(int index)
    {
        if (Timeline is null || Timeline.Frames.Count == 0 || _canvas is null) return;
        _replayIndex = Math.Clamp(index, 0, Timeline.Frames.Count - 1);
        _canvas.Show(Timeline.Frames[_replayIndex]);
        await Task.CompletedTask;
    }

    async Task TogglePlay()
    {
        if (_playing) { StopReplay(); return; }
        if (Timeline is null || Timeline.Frames.Count == 0) return;
        _replay = new CancellationTokenSource();
        _playing = true;
        if (_replayIndex >= Timeline.Frames.Count - 1) _replayIndex = 0;
        var token = _replay.Token;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(220));
            await ShowReplayFrame(_replayIndex);
            while (await timer.WaitForNextTickAsync(token) && _replayIndex < Timeline.Frames.Count - 1)
            {
                await ShowReplayFrame(_replayIndex + 1);
                StateHasChanged();
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            if (_replay?.Token == token) { _playing = false; _replay.Dispose(); _replay = null; }
        }
    }

    void StopReplay()
    {
        _replay?.Cancel();
        _playing = false;
    }

    async Task DownloadPngAsync()
    {
        if (Timeline is null) return;
        await DownloadAsync($"styleblazor-{ShortId}.png", "image/png", async () =>
            await Jobs.ResultPngAsync(Timeline.JobId)
            ?? (Timeline.LatestFrame is { } latest ? await Task.Run(() => ProgressionGif.ToPng(latest)) : null));
    }

    async Task DownloadGifAsync()
    {
        if (Timeline is null || Timeline.Frames.Count == 0) return;
        var frames = Timeline.Frames.ToArray();
        await DownloadAsync($"styleblazor-{ShortId}.gif", "image/gif", () => Task.Run(() => (byte[]?)ProgressionGif.Encode(frames)));
    }

    string ShortId => Timeline?.JobId is { Length: > 8 } id ? id[..8] : Timeline?.JobId ?? "result";

    async Task DownloadAsync(string fileName, string contentType, Func<Task<byte[]?>> produce)
    {
        _downloading = true;
        try
        {
            var bytes = await produce();
            if (bytes is null)
            {
                Snackbar.Add(L["NothingToDownload"], Severity.Info);
                return;
            }
            _downloads ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/downloads.js");
            using var stream = new DotNetStreamReference(new MemoryStream(bytes));
            await _downloads.InvokeVoidAsync("saveStream", fileName, contentType, stream);
        }
        catch (Exception ex) when (ex is not JSDisconnectedException)
        {
            Log.LogWarning(ex, "Download of {File} failed", fileName);
            Snackbar.Add(L["DownloadFailed"], Severity.Error);
        }
        finally
        {
            _downloading = false;
        }
    }

    async Task CopyShareLinkAsync()
    {
        try
        {
            _downloads ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/downloads.js");
            await _downloads.InvokeVoidAsync("copyText", ShareLink);
            Snackbar.Add(L["LinkCopied"], Severity.Success);
        }
        catch (JSException)
        {
            Snackbar.Add(L["CopyFailed"], Severity.Info);
        }
    }

    public async ValueTask DisposeAsync()
    {
        StopReplay();
        Dispose();
        if (_downloads is not null)
        {
            try { await _downloads.DisposeAsync(); } catch (JSDisconnectedException) { }
        }
        GC.SuppressFinalize(this);
    }
}
