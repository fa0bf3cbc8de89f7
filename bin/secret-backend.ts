// `node build/bin/secret-backend.js`: `<environment> <backend>` for each environment in
// TASK_API_ENV (default: all), as synth would choose it (TASK_API_SECRET_BACKEND included). CI
// uses it to synthesize and commit only the environments whose dist/ holds no secret.
import { project } from '../main';
import { secretBackendKinds } from '../lib/synth/backend-choice';
import { failureLines } from '../lib/terminal';
import { debugRequested } from '../lib/project';

try {
  for (const line of secretBackendKinds(project, process.env)) console.log(line);
} catch (error) {
  failureLines('secret-backend', error, debugRequested(project, process.env)).forEach((line) => console.error(line));
  process.exitCode = 1;
}
