/** The test pictures of the media spec, shared by the page that draws them and the checks that read them back. */

/** The colour of frame `i` of `n` at block `b` of a 4 x 3 grid: every block and every frame differs. */
export function blockColour(i: number, n: number, b: number): [number, number, number] {
  const t = n > 1 ? i / (n - 1) : 1;
  return [Math.round(40 + 180 * t), Math.round((b * 53) % 256), Math.round(220 - 150 * t)];
}
