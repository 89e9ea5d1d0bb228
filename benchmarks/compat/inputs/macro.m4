define(`GREET', `Hello, $1!')dnl
define(`SQUARE', `eval($1 * $1)')dnl
GREET(`world')
5 squared is SQUARE(5)
ifelse(`a', `a', `equal', `different')
forloop
