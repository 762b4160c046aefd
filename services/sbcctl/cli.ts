// Entry point of the sbcctl bundle (dist/sbcctl.mjs, the npm bin).
import { main } from './main.ts';

main();
