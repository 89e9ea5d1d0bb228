/* A hand-written syscall whose number is loaded from memory: no static analysis can know it,
 * so it must be reported as unresolved (object, address, function), never dropped. */
long nr = 39; /* getpid */
long from_memory(void);
__asm__(".text\n"
        ".globl from_memory\n"
        ".type from_memory,@function\n"
        "from_memory:\n"
        "\tmov nr(%rip), %rax\n" /* 7 bytes: the syscall is at from_memory + 7 */
        "\tsyscall\n"
        "\tret\n"
        ".size from_memory, .-from_memory\n");

int main(void)
{
    return from_memory() > 0 ? 0 : 1;
}
