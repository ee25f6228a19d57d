using System.Runtime.CompilerServices;

// The tests check internal pieces of the loop (the best-image tracker, the objective J) directly; the bench's
// precision probe scores images with the objective J.
[assembly: InternalsVisibleTo("StyleBlazor.Tests")]
[assembly: InternalsVisibleTo("styleblazor-bench")]
