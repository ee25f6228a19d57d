// Draws each improved frame onto a <canvas>, cross-fading from what is on screen now, so the progression reads as
// one smooth animation. Bytes arrive as JPEG/WebP; createImageBitmap decodes them off the main thread.
//
// The fade is an opacity animation of a second canvas laid over the first (the picture as it was, fading out over
// the new one), so the compositor runs it and the page's main thread draws each frame once. Redrawing the canvas on
// every animation frame kept a browser that shares the engine's two cores busy for most of a run
// (docs/performance.md, "Time to a good picture"). The fade moves in six steps, not every display frame: a cross-fade
// between two close pictures shows no steps at 17 a second, and the compositor draws a third as often.
//
// A browser that composites without a GPU (../../js/compositing.js) would draw even those steps in software, on the
// engine's cores when both run on one machine: there the frames replace each other, as for a viewer who asked for less
// motion.
import { compositesInSoftware } from '../../js/compositing.js';

const FADE_MS = 350;
const FADE_EASING = 'steps(6, jump-none)';
const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');
const states = new WeakMap();

function stateOf(canvas) {
    let s = states.get(canvas);
    if (!s) {
        s = { fade: null, drawn: 0 };
        states.set(canvas, s);
    }
    return s;
}

function overlayOf(canvas) {
    return canvas.parentElement?.querySelector(':scope > canvas.progression-canvas__fade') ?? null;
}

export async function draw(canvas, bytes, contentType, iteration) {
    if (!canvas) return;
    const bitmap = await createImageBitmap(new Blob([bytes], { type: contentType }));
    const s = stateOf(canvas);
    const overlay = overlayOf(canvas);
    if (overlay && s.drawn > 0 && canvas.width === bitmap.width && canvas.height === bitmap.height && !reducedMotion.matches
        && !compositesInSoftware) {
        // The overlay takes exactly what is visible, mid-fade too: overlay·o + canvas·(1 − o).
        const o = s.fade ? Number(getComputedStyle(overlay).opacity) : 0;
        s.fade?.cancel();
        if (overlay.width !== canvas.width || overlay.height !== canvas.height) {
            overlay.width = canvas.width;
            overlay.height = canvas.height;
        }
        const ctx = overlay.getContext('2d');
        ctx.globalAlpha = 1 - o;
        ctx.drawImage(canvas, 0, 0);
        ctx.globalAlpha = 1;
        s.fade = overlay.animate([{ opacity: 1 }, { opacity: 0 }], { duration: FADE_MS, easing: FADE_EASING });
        s.fade.onfinish = () => { s.fade = null; };
    } else {
        s.fade?.cancel();
        s.fade = null;
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
    }
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    bitmap.close();
    s.drawn += 1;
    canvas.dataset.framesDrawn = String(s.drawn);
    canvas.dataset.iteration = String(iteration);
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
    s.fade?.cancel();
    states.delete(canvas);
}
