// The seed program (seed.mlir) with every task on the CPU, in seed form but
// with explicit access lists: no types are written, the loop bounds are
// integer literals, and each task says what it reads and writes with
// reads(...) writes(...) instead of the "last operand is written" rule.
// avial2c infers memref<20xi32> for all four memrefs.
//
//   task1: c = a + b            reads a, b     writes c
//   task2: d = a * b            reads a, b     writes d
//   task3: d = c + d            reads c, d     writes d
//
// task1 and task2 are independent (level 0); task3 needs both (level 1).
avial.schedule %a, %b, %c, %d
{
  %cpu = avial.target{arch = "x86_64"}
  %task1 = avial.task %cpu reads(%a, %b) writes(%c)
  {
    scf.parallel %i = 0 to 20
    {
      %x = memref.load %a[%i]
      %y = memref.load %b[%i]
      %z = arith.addi %x, %y
      memref.store %z, %c[%i]
    }
  }

  %task2 = avial.task %cpu reads(%a, %b) writes(%d)
  {
    scf.parallel %i = 0 to 20
    {
      %x = memref.load %a[%i]
      %y = memref.load %b[%i]
      %z = arith.muli %x, %y
      memref.store %z, %d[%i]
    }
  }

  %task3 = avial.task %cpu reads(%c, %d) writes(%d)
  {
    scf.parallel %i = 0 to 20
    {
      %x = memref.load %c[%i]
      %y = memref.load %d[%i]
      %z = arith.addi %x, %y
      memref.store %z, %d[%i]
    }
  }
}
