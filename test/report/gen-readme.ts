// npm run gen:readme: rewrites the README's generated versions table from the pins.
import { README, writeVersionsIntoReadme } from "./versions.js";

console.log(writeVersionsIntoReadme() ? `wrote the versions table in ${README}` : "versions table up to date");
