/**
 * Whether the programs and data the local speech service runs are installed: Debian's
 * `espeak-ng` (speech), `pocketsphinx` and `pocketsphinx-en-us` (recognition: the program, the
 * US English acoustic model, language model and CMU dictionary) and `sox` (resampling).
 */
import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";

/** Where Debian's `pocketsphinx-en-us` puts the US English model. */
export const DEFAULT_MODEL_DIR = "/usr/share/pocketsphinx/model/en-us";

/** The command that installs everything the service needs on Debian or Ubuntu. */
export const INSTALL_COMMAND = "sudo apt-get install -y espeak-ng pocketsphinx pocketsphinx-en-us sox";

/** The files of a pocketsphinx model directory the service uses. */
export interface ModelFiles {
  /** The acoustic model directory (`-hmm`). */
  hmm: string;
  /** The stock language model (`-lm`, trie binary). */
  lm: string;
  /** The CMU pronouncing dictionary (`-dict`). */
  dict: string;
}

/** The model files under `modelDir` (Debian's layout: `en-us/`, `en-us.lm.bin`, `cmudict-en-us.dict`). */
export function modelFiles(modelDir: string = DEFAULT_MODEL_DIR): ModelFiles {
  return { hmm: path.join(modelDir, "en-us"), lm: path.join(modelDir, "en-us.lm.bin"), dict: path.join(modelDir, "cmudict-en-us.dict") };
}

/** What {@link detectSpeechTools} found. */
export interface SpeechTools {
  /** True when everything is there. */
  available: boolean;
  /** What is missing, by Debian package name (`espeak-ng`, `pocketsphinx`, `pocketsphinx-en-us`, `sox`). */
  missing: string[];
}

/** True when `name` is an executable file in a directory of `PATH`. */
export function onPath(name: string, pathVar: string = process.env.PATH ?? ""): boolean {
  return pathVar
    .split(path.delimiter)
    .filter((dir) => dir !== "")
    .some((dir) => {
      try {
        accessSync(path.join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/**
 * Looks for `espeak-ng`, `pocketsphinx_continuous` and `sox` on PATH and for the model files
 * under `modelDir`. Returns {@link SpeechTools}; never throws.
 */
export function detectSpeechTools(modelDir: string = DEFAULT_MODEL_DIR): SpeechTools {
  const missing: string[] = [];
  if (!onPath("espeak-ng")) missing.push("espeak-ng");
  if (!onPath("pocketsphinx_continuous")) missing.push("pocketsphinx");
  const files = modelFiles(modelDir);
  if (!existsSync(path.join(files.hmm, "mdef")) || !existsSync(files.lm) || !existsSync(files.dict)) missing.push("pocketsphinx-en-us");
  if (!onPath("sox")) missing.push("sox");
  return { available: missing.length === 0, missing };
}
