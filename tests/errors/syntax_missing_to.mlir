// expect: 8:25: error: expected 'to' between the lower and the upper bound, e.g. 'scf.parallel %i = 0 to 20'; found '20'
// scf.parallel in the seed form needs 'to' between the bounds.
avial.schedule %a, %b
{
  %cpu = avial.target{arch = "x86_64"}
  %t1 = avial.task %cpu, %a, %b
  {
    scf.parallel %i = 0 20
    {
      %x = memref.load %a[%i]
      memref.store %x, %b[%i]
    }
  }
}
