using System.Runtime.CompilerServices;

// The tests check internal pieces of the loop (the best-image tracker, the objective J) directly.
[assembly: InternalsVisibleTo("StyleBlazor.Tests")]
