/** Entry point of the SAM web UI. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { startSession } from "./lib/session.ts";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("#root is missing from index.html");
startSession();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
