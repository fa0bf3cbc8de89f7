// `node build/bin/secret-backend.js`: `<environment> <backend>` for each environment in
// TASK_API_ENV (default: all), as synth would choose it (TASK_API_SECRET_BACKEND included). CI
// uses it to synthesize and commit only the environments whose dist/ holds no secret.
import { ENVIRONMENTS, selectEnvironments } from '../lib/environments';
import { chooseSecretBackend } from '../lib/synth/backend-choice';
import { failureLines } from '../lib/terminal';

try {
  for (const environment of selectEnvironments(process.env.TASK_API_ENV || 'all', Object.keys(ENVIRONMENTS))) {
    console.log(`${environment} ${chooseSecretBackend(environment, ENVIRONMENTS[environment], process.env, 'env').kind}`);
  }
} catch (error) {
  failureLines('secret-backend', error, process.env).forEach((line) => console.error(line));
  process.exitCode = 1;
}
