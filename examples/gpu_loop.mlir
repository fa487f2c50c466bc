// A time loop with a GPU task and a CPU task in each iteration.  The GPU
// task adds the step number to every element of %x (it uses the loop's
// induction variable, so its function and kernel take it as a parameter);
// the CPU task then keeps a running sum of %x[0] in %s.  Both tasks are
// slot 0 of their level, so on any number of ranks they run on rank 0 and
// %x crosses from the GPU to the host once per iteration for %sum.
func.func @main(%x: memref<1000xf32>, %s: memref<1xf32>) {
  avial.schedule %x, %s : memref<1000xf32>, memref<1xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %cpu = avial.target {arch = "x86_64"}
    %lo = arith.constant 1 : index
    %hi = arith.constant 8 : index
    %by = arith.constant 2 : index
    scf.for %t = %lo to %hi step %by {
      %bump = avial.task %gpu reads(%x) writes(%x) {
        %c1 = arith.constant 1 : index
        %c4 = arith.constant 4 : index
        %c256 = arith.constant 256 : index
        %n = arith.constant 1000 : index
        gpu.launch blocks(%bx, %b2, %b3) in (%gx = %c4, %gy = %c1, %gz = %c1)
                   threads(%tx, %t2, %t3) in (%sx = %c256, %sy = %c1, %sz = %c1) {
          %i = gpu.global_id x
          %inside = arith.cmpi ult, %i, %n : index
          scf.if %inside {
            %v = memref.load %x[%i] : memref<1000xf32>
            %ti = arith.index_cast %t : index to i32
            %tf = arith.sitofp %ti : i32 to f32
            %r = arith.addf %v, %tf : f32
            memref.store %r, %x[%i] : memref<1000xf32>
          }
          gpu.terminator
        }
        avial.yield
      }
      %sum = avial.task %cpu reads(%x, %s) writes(%s) {
        %c0 = arith.constant 0 : index
        %a = memref.load %x[%c0] : memref<1000xf32>
        %b = memref.load %s[%c0] : memref<1xf32>
        %c = arith.addf %a, %b : f32
        memref.store %c, %s[%c0] : memref<1xf32>
        avial.yield
      }
    }
  }
  return
}
