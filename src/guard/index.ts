// The guard's public surface, for the parts of perimeter that must agree with it.
//   analyse(commandLine, policy)  the decision the guard hook takes on one command line: a profile's
//                                 allow or ask pattern read as a command line must not be denied by it
//   parseShell(commandLine)       the parsed form: pipelines of simple commands, each with its words,
//                                 leading assignments and redirections (here-document bodies
//                                 included), and the scripts of the substitutions inside them
//   resolve(argv, env)            what an argv runs once wrappers (env, sudo, xargs, sh -c ...) are off
export { analyse, explain, stops, type GuardPolicy, type Verdict } from "./analyse.js";
export { argOf, isKnown, type Arg, type Unknown } from "./argv.js";
export { parseShell, ShellSyntaxError, type Command, type Pipeline, type Redirect, type Script, type SimpleCommand, type Word } from "./shell.js";
export { resolve, type Resolution } from "./unwrap.js";
