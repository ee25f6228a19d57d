using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;

namespace StyleBlazor.Tests.Jobs;

public class JobFramePumpTests
{
    /// <summary>A clock that moves only when told.</summary>
    sealed class ManualClock : TimeProvider
    {
        long _ticks = 1_000_000;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    static (JobFramePump Pump, StyleTransferJob Job, List<JobUpdate.Frame> Frames, ManualClock Clock) Create(FrameOptions options)
    {
        var events = new JobEvents(NullLogger<JobEvents>.Instance);
        var clock = new ManualClock();
        var jobs = new JobRegistry(events, Options.Create(new EngineOptions()), clock);
        var job = TestJobs.Waiting("x");
        jobs.Add(job);
        var frames = new List<JobUpdate.Frame>();
        events.Subscribe(job.Id, (_, update) => { if (update is JobUpdate.Frame f) lock (frames) frames.Add(f); });
        var pump = new JobFramePump(job, new FrameEncoder(Options.Create(options), new FrameStatistics()), jobs, clock, NullLogger.Instance);
        return (pump, job, frames, clock);
    }

    static RgbFrame Gray(int width, int height) => new(width, height, Enumerable.Repeat((byte)128, width * height * 3).ToArray());

    [Fact]
    public void FramesAreWantedNoMoreOftenThanTheMaximumRate()
    {
        var (pump, _, _, clock) = Create(new FrameOptions { MaxFramesPerSecond = 4 });

        Assert.True(pump.WantsFrame(0));
        pump.Submit(0, Gray(8, 8));
        Assert.False(pump.WantsFrame(1));
        clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.False(pump.WantsFrame(2));
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.True(pump.WantsFrame(3));
    }

    [Fact]
    public async Task FramesAreEncodedOffTheCallerAsWebpScaledToTheMaximumSide()
    {
        var (pump, job, frames, _) = Create(new FrameOptions { Format = FrameFormat.Webp, MaxSide = 50, Quality = 70 });

        pump.Submit(7, Gray(200, 100));
        await pump.FlushAsync();

        var frame = Assert.Single(frames);
        Assert.Equal((7, 50, 25, "image/webp"), (frame.Iteration, frame.Width, frame.Height, frame.ContentType));
        Assert.Equal("RIFF"u8.ToArray(), frame.Bytes[..4]);
        Assert.Same(frame, job.LatestFrame);
    }
}
