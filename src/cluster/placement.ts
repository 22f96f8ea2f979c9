import type { PlacementView } from '../store/index.ts';

/**
 * Least-loaded placement as water filling: the free instances are handed out one at a time to the live node holding the
 * fewest (ties: lowest node id), and a node takes the number that falls to it. Every node computes the same split from
 * the same view (claims are serialized in the database), so each takes its own part and the result is balanced however
 * many nodes look at once.
 */
export function shareOf(nodeId: string, view: PlacementView): number {
  const loads = view.nodes
    .map((n) => ({ id: n.id, load: n.instances }))
    .sort((a, b) => a.load - b.load || cmp(a.id, b.id));
  if (!loads.some((n) => n.id === nodeId)) return 0;
  let share = 0;
  for (let left = view.claimable; left > 0; left--) {
    // loads stays sorted: bump the head, then sink it to its place.
    const head = loads[0]!;
    if (head.id === nodeId) share++;
    head.load++;
    let i = 0;
    while (
      i + 1 < loads.length &&
      (loads[i + 1]!.load < head.load || (loads[i + 1]!.load === head.load && cmp(loads[i + 1]!.id, head.id) < 0))
    ) {
      loads[i] = loads[i + 1]!;
      i++;
    }
    loads[i] = head;
  }
  return share;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
