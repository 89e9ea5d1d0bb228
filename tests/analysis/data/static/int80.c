/* A 32-bit ABI system call (int 0x80) in a 64-bit program: its numbering is i386's, so it is
 * reported as unresolved rather than read as an x86_64 number. */
int main(void)
{
    long r;
    __asm__ volatile("mov $20, %%eax\n\tint $0x80" : "=a"(r)); /* i386 getpid */
    return r > 0 ? 0 : 1;
}
