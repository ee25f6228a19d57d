namespace StyleBlazor.Resources;

/// <summary>The UI's strings: UiText.resx (English) and UiText.ru.resx, read through <c>IStringLocalizer&lt;UiText&gt;</c>.</summary>
public sealed class UiText;
