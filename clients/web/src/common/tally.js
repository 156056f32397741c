// A poll's tally as rows to draw (bars or counts), without the DOM; tested in
// test/tally.test.mjs.

/**
 * One row per option: its text, its votes, its share of all votes (whole percent, rounded so
 * the shares add up to 100 when anyone voted) and whether it leads.
 * @param {{options: string[], tally?: number[], votes?: number}} poll
 * @returns {{index: number, option: string, count: number, percent: number, leading: boolean}[]}
 */
export function tallyRows(poll) {
  const options = Array.isArray(poll?.options) ? poll.options : [];
  const counts = options.map((_, i) => {
    const n = Number(poll.tally?.[i]);
    return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const percents = sharesOf(counts, total);
  const top = Math.max(0, ...counts);
  return options.map((option, i) => ({
    index: i,
    option: String(option),
    count: counts[i],
    percent: percents[i],
    leading: total > 0 && counts[i] === top,
  }));
}

/** Whole percents that add up to 100 (largest remainders), or all 0 with no votes. */
function sharesOf(counts, total) {
  if (total === 0) return counts.map(() => 0);
  const exact = counts.map((n) => (n * 100) / total);
  const shares = exact.map(Math.floor);
  let left = 100 - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    shares[i] += 1;
    left -= 1;
  }
  return shares;
}

/** All the votes of a poll: its `votes`, else the sum of its tally. */
export function totalVotes(poll) {
  if (Number.isFinite(poll?.votes)) return poll.votes;
  return tallyRows(poll).reduce((sum, row) => sum + row.count, 0);
}
