// The fleet program's entry (bundled by the bench into bench/.work/fleet.js).
import { runFleetProgram } from './fleet';

runFleetProgram();
