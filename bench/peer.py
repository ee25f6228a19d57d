#!/usr/bin/env python3
"""The PyTorch peer of StyleBlazor's engine: the article's loop (ALGORITHM.md), written the way a PyTorch user would.

VGG19 features (random weights: the app's, from --weights, or He-initialised from --seed), style taps
block1_conv1..block5_conv1 (weight 1/5 each) and content tap block5_conv2, the code normalisation (mean squared error;
Gram divided by nH*nW), J = 1e3*J_C + 1e-2*J_S, TF1 Adam (lr 2, beta1 .99, beta2 .999, epsilon-hat .1), per-channel clip
to [-mean, 255-mean], best image kept. Forward stops at the deepest tap; ReLUs are in place as in torchvision's VGG.

Prints one line: RESULT {json} with the median seconds per iteration after warm-up and the peak RSS (ru_maxrss).
Run with Debian's python3-torch (bench/setup.sh): /usr/bin/python3 bench/peer.py --size 512 --iterations 10
"""
import argparse
import json
import math
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

BLOCK_CHANNELS = [64, 128, 256, 512, 512]
CONVS_PER_BLOCK = [2, 2, 4, 4, 4]
MEANS_BGR = [103.939, 116.779, 123.68]
STYLE_TAPS = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
CONTENT_TAP = "block5_conv2"


def conv_shapes():
    shapes, cin = [], 3
    for b, (cout, n) in enumerate(zip(BLOCK_CHANNELS, CONVS_PER_BLOCK), start=1):
        for c in range(1, n + 1):
            shapes.append((f"block{b}_conv{c}", b, cin, cout))
            cin = cout
    return shapes


class Vgg19Features(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.shapes = conv_shapes()
        self.convs = torch.nn.ModuleList(torch.nn.Conv2d(cin, cout, 3, padding=1) for _, _, cin, cout in self.shapes)
        self.index = {name: i for i, (name, _, _, _) in enumerate(self.shapes)}
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def init_random(self, seed):
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for conv in self.convs:
                fan_in = conv.weight.shape[1] * conv.weight.shape[2] * conv.weight.shape[3]
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=g).mul_(math.sqrt(2.0 / fan_in)))
                conv.bias.copy_(torch.randn(conv.bias.shape, generator=g).mul_(0.01))

    def load_raw(self, path):
        """The app's weights: float32 little endian, weight then bias per conv in forward order (bench dump-weights)."""
        data = np.fromfile(path, dtype="<f4")
        offset = 0
        with torch.no_grad():
            for conv in self.convs:
                for t in (conv.weight, conv.bias):
                    n = t.numel()
                    t.copy_(torch.from_numpy(data[offset:offset + n].copy()).view_as(t))
                    offset += n
        assert offset == data.size, f"{path}: {data.size} floats, expected {offset}"

    def forward(self, x, taps):
        wanted = {self.index[t] for t in taps}
        out = {}
        for i in range(max(wanted) + 1):
            if i > 0 and self.shapes[i][1] != self.shapes[i - 1][1]:
                x = F.max_pool2d(x, 2, 2)
            x = F.relu(self.convs[i](x), inplace=True)
            if i in wanted:
                out[self.shapes[i][0]] = x
        return out


def synthetic(w, h):
    """The bench's deterministic content and style images (same integer formulas as SyntheticImages.cs), RGB uint8 HWC."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    content = np.stack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1), (x * x + 3 * y * y + 7 * x * y) // 16 % 256], -1)
    style = np.stack([(x // 16 + y // 16) % 2 * 200 + 28, (x * 3 + y * 5) % 256, x * y // 64 % 256], -1)
    return content.astype(np.uint8), style.astype(np.uint8)


def preprocess(rgb_hwc, channels_last):
    """Keras caffe mode: RGB->BGR, minus the BGR means, [1,3,H,W] float32."""
    t = torch.from_numpy(rgb_hwc).permute(2, 0, 1).unsqueeze(0).float().contiguous()
    t = t.flip(1).sub(torch.tensor(MEANS_BGR, dtype=torch.float32).view(1, 3, 1, 1))
    return t.contiguous(memory_format=torch.channels_last) if channels_last else t.contiguous()


def gram(f):
    _, c, h, w = f.shape
    m = f.reshape(c, h * w)
    return m.mm(m.t()).div_(h * w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backbone", default="vgg19")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--interop", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weights", default=None, help="the app's random VGG19 (bench dump-weights); else --seed")
    ap.add_argument("--channels-last", default="off")
    a = ap.parse_args()
    if a.backbone != "vgg19":
        raise SystemExit("the peer implements VGG19 only (ResNet18 is compared app-side only)")

    torch.set_num_threads(a.threads)
    if a.interop > 0:
        torch.set_num_interop_threads(a.interop)
    channels_last = a.channels_last in ("on", "true", "1")

    net = Vgg19Features()
    if a.weights:
        net.load_raw(a.weights)
    else:
        net.init_random(a.seed)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)

    content_rgb, style_rgb = synthetic(a.size, a.size)
    content = preprocess(content_rgb, channels_last)
    style = preprocess(style_rgb, channels_last)
    taps = STYLE_TAPS + [CONTENT_TAP]
    with torch.no_grad():
        content_target = net(content, [CONTENT_TAP])[CONTENT_TAP].clone()
        style_feats = net(style, STYLE_TAPS)
        style_grams = {t: gram(style_feats[t]) for t in STYLE_TAPS}
        del style_feats

    means = torch.tensor(MEANS_BGR, dtype=torch.float32).view(1, 3, 1, 1)
    clip_min, clip_max = -means, 255 - means
    image = content.clone().requires_grad_(True)
    m = torch.zeros_like(image)
    v = torch.zeros_like(image)
    lr, beta1, beta2, eps = 2.0, 0.99, 0.999, 0.1
    best_loss, best_image = math.inf, image.detach().clone()

    total = a.warmup + a.iterations + 1
    stamps, losses, faults = [], [], []
    start = time.perf_counter()
    for t in range(1, total + 1):
        feats = net(image, taps)
        j_c = (feats[CONTENT_TAP] - content_target).pow(2).mean()
        j_s = sum(0.2 * (gram(feats[l]) - style_grams[l]).pow(2).mean() for l in STYLE_TAPS)
        loss = 1e3 * j_c + 1e-2 * j_s
        del feats
        (grad,) = torch.autograd.grad(loss, [image])
        value = loss.item()  # the article's loop prints the loss every iteration
        stamps.append(time.perf_counter() - start)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)
        losses.append(value)
        with torch.no_grad():
            if value < best_loss:
                best_loss = value
                best_image.copy_(image)
            m.mul_(beta1).add_(grad, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            lr_t = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
            image.addcdiv_(m, v.sqrt().add_(eps), value=-lr_t)
            image.copy_(torch.max(torch.min(image, clip_max), clip_min))

    times = [stamps[i + 1] - stamps[i] for i in range(a.warmup, a.warmup + a.iterations)]
    print("RESULT " + json.dumps({
        "side": "peer",
        "backbone": a.backbone,
        "size": a.size,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "channels_last": channels_last,
        "torch": torch.__version__,
        "iterations": a.iterations,
        "warmup": a.warmup,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "minor_faults_per_iteration": statistics.median(
            [faults[i + 1] - faults[i] for i in range(a.warmup, a.warmup + a.iterations)]),
        "times_s": [round(x, 4) for x in times],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "loss_first": losses[0],
        "loss_at_last_step": losses[a.warmup + a.iterations],
        "gflop_per_iteration": round(gflop(a.size), 2),
    }))


def gflop(size):
    """Conv FLOPs of forward + input-gradient backward to block5_conv2 (same count as the bench's Flops.cs)."""
    total, deepest = 0.0, conv_shapes().index(next(s for s in conv_shapes() if s[0] == CONTENT_TAP))
    for name, block, cin, cout in conv_shapes()[:deepest + 1]:
        side = size >> (block - 1)
        total += 2.0 * cout * side * side * cin * 9
    return 2 * total / 1e9


if __name__ == "__main__":
    main()
