/**
 * The "New task" form: prompt, model (from /api/models, default `scripted`), an optional
 * script for the scripted model (checked before sending) and optional max steps.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { TaskRequestInput } from "../../shared/task-spec.ts";
import { createTask, errorMessage, listModels, type ModelInfo } from "../lib/api.ts";
import { checkScript } from "../lib/script.ts";
import { FormError } from "./FormError.tsx";

const DEFAULT_MODEL = "scripted";
const FALLBACK_MODELS: ModelInfo[] = [
  { id: DEFAULT_MODEL, label: "Scripted (deterministic test model)", provider: "scripted", available: true },
];
const SCRIPT_EXAMPLE = `[
  {"toolCalls": [{"toolName": "bash", "input": {"command": "echo hello"}}]},
  {"text": "Done."}
]`;

function modelLabel(model: ModelInfo): string {
  let label = model.label || model.id;
  if (model.id === DEFAULT_MODEL && !/deterministic|test/i.test(label)) label += " (deterministic test model)";
  if (!model.available) label += " — unavailable";
  return label;
}

/** Creates a task in `projectId`; calls `onCreated` with the new task id. */
export function NewTaskForm({ projectId, onCreated }: { projectId: string; onCreated: (taskId: string) => void }) {
  const [models, setModels] = useState<ModelInfo[]>(FALLBACK_MODELS);
  const [modelsError, setModelsError] = useState<string | null>(null);
  const [prompt, setPrompt] = useState("");
  const [model, setModel] = useState(DEFAULT_MODEL);
  const [script, setScript] = useState("");
  const [maxSteps, setMaxSteps] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    listModels()
      .then((list) => {
        if (!live) return;
        const withDefault = list.some((m) => m.id === DEFAULT_MODEL) ? list : [...FALLBACK_MODELS, ...list];
        setModels(withDefault);
      })
      .catch((err: unknown) => {
        if (live) setModelsError(errorMessage(err));
      });
    return () => {
      live = false;
    };
  }, []);

  const selected = models.find((m) => m.id === model);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    const trimmedPrompt = prompt.trim();
    if (!trimmedPrompt) {
      setError("Write a prompt.");
      return;
    }
    const checked = checkScript(script);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    const spec: TaskRequestInput = { prompt: trimmedPrompt, model };
    if (checked.steps) spec.script = checked.steps;
    if (maxSteps.trim()) {
      const n = Number(maxSteps);
      if (!Number.isInteger(n) || n < 1) {
        setError("Max steps must be a whole number of at least 1.");
        return;
      }
      spec.maxSteps = n;
    }
    setBusy(true);
    try {
      const created = await createTask(projectId, spec);
      setPrompt("");
      onCreated(created.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card new-task" onSubmit={submit}>
      <h2>New task</h2>
      <label htmlFor="task-prompt">Prompt</label>
      <textarea
        id="task-prompt"
        data-testid="task-prompt-input"
        rows={3}
        placeholder="What should the agent do?"
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
      />
      <div className="form-grid">
        <div>
          <label htmlFor="task-model">Model</label>
          <select id="task-model" data-testid="task-model-select" value={model} onChange={(e) => setModel(e.target.value)}>
            {models.map((m) => (
              <option key={m.id} value={m.id} disabled={!m.available && m.id !== model}>
                {modelLabel(m)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="task-max-steps">Max steps</label>
          <input
            id="task-max-steps"
            data-testid="task-max-steps-input"
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            placeholder="default"
            value={maxSteps}
            onChange={(e) => setMaxSteps(e.target.value)}
          />
        </div>
      </div>
      {selected?.note && <p className="muted small">{selected.note}</p>}
      {modelsError && <p className="muted small">Could not load the model list ({modelsError}).</p>}
      <label htmlFor="task-script">
        Script <span className="muted small">(optional, for the scripted model: a JSON array of steps)</span>
      </label>
      <textarea
        id="task-script"
        data-testid="task-script-input"
        className="mono"
        rows={4}
        spellCheck={false}
        placeholder={SCRIPT_EXAMPLE}
        value={script}
        onChange={(e) => setScript(e.target.value)}
      />
      <FormError message={error} testId="task-form-error" />
      <button type="submit" data-testid="task-start-button" disabled={busy}>
        {busy ? "Starting…" : "Start task"}
      </button>
    </form>
  );
}
