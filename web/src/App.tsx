import { useEffect, useState } from "react";
import { checkServices, type ServiceStatus } from "./status";

/** Placeholder shell until the sign-in and profile pages land: shows whether the APIs answer. */
export function App() {
  const [services, setServices] = useState<ServiceStatus[]>([]);
  useEffect(() => {
    checkServices(fetch).then(setServices);
  }, []);
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", maxWidth: 640, margin: "3rem auto", padding: "0 1rem" }}>
      <h1>Profile pictures</h1>
      <p>The stack is running. Sign-in and profile pages come with the web issue.</p>
      <ul aria-label="Service status">
        {services.map((s) => (
          <li key={s.name}>
            {s.name}: {s.ready ? "ready" : "not ready"}
          </li>
        ))}
      </ul>
    </main>
  );
}
