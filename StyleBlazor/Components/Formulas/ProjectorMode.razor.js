// The projector's key: M switches between "picture only" and "picture + maths". Matched by the key's place on the
// keyboard (KeyM), so it works with a Russian layout too; ignored while typing in a field or with a modifier held.
export function listen(component) {
    const onKey = e => {
        if (e.code !== 'KeyM' || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
        const target = e.target;
        if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
        e.preventDefault();
        component.invokeMethodAsync('ToggleAsync');
    };
    document.addEventListener('keydown', onKey);
    return { dispose: () => document.removeEventListener('keydown', onKey) };
}
