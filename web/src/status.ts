export interface ServiceStatus {
  name: string;
  ready: boolean;
}

/** Ask each API, through the same-origin proxy, whether its OpenAPI schema answers. */
export async function checkServices(fetchFn: typeof fetch): Promise<ServiceStatus[]> {
  const probes: [string, string][] = [
    ["auth-service", "/.well-known/jwks.json"],
    ["profile-service", "/profiles/me"],
  ];
  return Promise.all(
    probes.map(async ([name, path]) => {
      try {
        const response = await fetchFn(path);
        return { name, ready: response.status < 500 };
      } catch {
        return { name, ready: false };
      }
    }),
  );
}
