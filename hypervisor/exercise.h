/* The VMX exercise (docs/teachers.md, docs/students.md): tools/exercise.py writes
 * a tree in which every solution region (between `// SOLUTION BEGIN N` and
 * `// SOLUTION END N`) becomes its stub lines. A stub compiles, and running into
 * it ends the VM or the test with the sentence below instead of crashing, so a
 * student sees which milestone to do next and what it asks for. The milestones,
 * their tests and their texts are in tools/matryoshka/milestones.py. */
#pragma once

/* "milestone N is not done yet: WHAT", a string literal. */
#define MILESTONE_NOT_DONE(number, what) "milestone " #number " is not done yet: " what
