/** "METHOD /pattern" for every route declared in an Express router and the routers mounted in it. */
export function declaredRoutes(router: { stack: unknown[] }): string[] {
  const out: string[] = [];
  for (const layer of router.stack) {
    if (!layer || typeof layer !== 'object') continue;
    const route = (layer as { route?: { path?: unknown; methods?: Record<string, boolean> } }).route;
    if (route && typeof route.path === 'string') {
      for (const [m, on] of Object.entries(route.methods ?? {})) if (on) out.push(`${m.toUpperCase()} ${route.path}`);
      continue;
    }
    const handle = (layer as { handle?: { stack?: unknown } }).handle;
    if (handle && Array.isArray(handle.stack)) out.push(...declaredRoutes({ stack: handle.stack }));
  }
  return out;
}
