/** Connections held per client network: taken when one is accepted, given back when it closes. */
export class PerNetwork {
  private readonly held = new Map<string, number>();

  count(network: string): number {
    return this.held.get(network) ?? 0;
  }

  add(network: string): void {
    this.held.set(network, this.count(network) + 1);
  }

  remove(network: string): void {
    const left = this.count(network) - 1;
    if (left > 0) this.held.set(network, left);
    else this.held.delete(network);
  }
}
