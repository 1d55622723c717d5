// Options validation shared by every platform component: zod's issues turned into the one
// shape of option problems (`stages/option-problem.ts`).
export { describeZodError, problemsOf } from './zod-problems';
