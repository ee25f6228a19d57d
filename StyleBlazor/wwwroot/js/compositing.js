// Whether this browser composites the page without a GPU: no WebGL, or WebGL by a software rasteriser (Chromium's
// SwiftShader, Mesa's llvmpipe, Windows' basic render driver). Such a browser draws every frame of a transition or a
// fade in software, on the same cores as the engine when both run on one machine (a teacher's laptop, the team's
// 2-core VM): there the frames' cross-fades and the style bars' glide took 3-4 s of the browser's CPU and 12-13 % of
// the Studio's time to the final picture (docs/performance.md, "Time to a good picture"). So they are left out there,
// as for a viewer who asked for less motion; a GPU composites them for nothing.
//
// Loaded by App.razor on every page, which marks <html class="composites-in-software"> for the stylesheets, and
// imported by the components' modules by this same path, so the browser is asked once.
function detect() {
    try {
        const gl = document.createElement('canvas').getContext('webgl');
        if (!gl) return true;
        // Chromium and Safari name a generic renderer and give the real one through the debug extension; Firefox gives
        // it as RENDERER itself (and warns that the extension is going away).
        let renderer = String(gl.getParameter(gl.RENDERER));
        const info = renderer === 'WebKit WebGL' ? gl.getExtension('WEBGL_debug_renderer_info') : null;
        if (info) renderer = String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL));
        gl.getExtension('WEBGL_lose_context')?.loseContext();
        return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer);
    } catch {
        return true;
    }
}

export const compositesInSoftware = detect();

if (compositesInSoftware) document.documentElement.classList.add('composites-in-software');
