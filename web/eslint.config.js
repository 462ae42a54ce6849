// The Vite react-ts template's lint setup, type-aware: typescript-eslint's recommended type-checked rules
// catch floating promises, promises passed where a callback returns void, and unsafe `any` flows that tsc lets through. Formatting is Prettier's job.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import { reactRefresh } from "eslint-plugin-react-refresh";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig([
  // Generated from the services' OpenAPI documents (`make api-types`): checked by tsc, never edited by hand.
  globalIgnores(["dist", "src/api/generated"]),
  {
    files: ["**/*.{ts,tsx}"],
    extends: [
      js.configs.recommended,
      tseslint.configs.recommendedTypeChecked,
      reactHooks.configs.flat.recommended,
      reactRefresh.configs.vite(),
    ],
    languageOptions: {
      ecmaVersion: 2022,
      globals: globals.browser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // Test fakes implement async interfaces (fetch, the upload API) without awaiting anything; they stay
    // `async` so that a failure is a rejected promise, as the real implementations give.
    files: ["**/*.test.{ts,tsx}"],
    rules: { "@typescript-eslint/require-await": "off" },
  },
]);
