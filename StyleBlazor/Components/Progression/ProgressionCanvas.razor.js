// Draws each improved frame onto a <canvas>, cross-fading from what is on screen now, so the progression reads as
// one smooth animation. Bytes arrive as JPEG/WebP; createImageBitmap decodes them off the main thread.
const FADE_MS = 350;
const states = new WeakMap();

function stateOf(canvas) {
    let s = states.get(canvas);
    if (!s) {
        s = { from: null, to: null, start: 0, raf: 0, drawn: 0 };
        states.set(canvas, s);
    }
    return s;
}

export async function draw(canvas, bytes, contentType, iteration) {
    if (!canvas) return;
    const bitmap = await createImageBitmap(new Blob([bytes], { type: contentType }));
    const s = stateOf(canvas);
    s.from?.close();
    s.from = null;
    if (s.to && canvas.width === bitmap.width && canvas.height === bitmap.height) {
        // Start from exactly what is visible (possibly mid-fade), not from the previous target.
        s.from = await createImageBitmap(canvas);
        s.to.close();
    } else {
        s.to?.close();
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
    }
    s.to = bitmap;
    s.start = performance.now();
    s.drawn += 1;
    canvas.dataset.framesDrawn = String(s.drawn);
    canvas.dataset.iteration = String(iteration);
    if (!s.raf) s.raf = requestAnimationFrame(t => step(canvas, s, t));
}

function step(canvas, s, now) {
    const ctx = canvas.getContext('2d');
    const k = s.from ? Math.min(1, (now - s.start) / FADE_MS) : 1;
    const eased = k < 1 ? k * k * (3 - 2 * k) : 1; // smoothstep
    ctx.globalAlpha = 1;
    if (s.from && k < 1) {
        ctx.drawImage(s.from, 0, 0, canvas.width, canvas.height);
        ctx.globalAlpha = eased;
    }
    if (s.to) ctx.drawImage(s.to, 0, 0, canvas.width, canvas.height);
    ctx.globalAlpha = 1;
    if (k < 1) {
        s.raf = requestAnimationFrame(t => step(canvas, s, t));
    } else {
        s.raf = 0;
        s.from?.close();
        s.from = null;
    }
}

export function clear(canvas) {
    if (!canvas) return;
    release(canvas);
    canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    delete canvas.dataset.iteration;
    canvas.dataset.framesDrawn = '0';
}

export function release(canvas) {
    const s = canvas && states.get(canvas);
    if (!s) return;
    if (s.raf) cancelAnimationFrame(s.raf);
    s.from?.close();
    s.to?.close();
    states.delete(canvas);
}
