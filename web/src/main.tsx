import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { bootstrapSession } from "./bootstrap";
import "./styles.css";
import { applyTheme, storedTheme } from "./theme";

// The theme this device last used, before the first paint (the profile's choice follows once loaded).
applyTheme(storedTheme());

// Ask whether someone is signed in now rather than after the first render.
void bootstrapSession().catch(() => undefined);

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
