// Data that stays on the GPU: three GPU tasks in a chain, then a CPU task.
// Each task depends on the one before it, so all four are slot 0 of their
// level and run on rank 0.  Only what host code needs crosses to the host:
//
//   %scale (sm_90) reads x, writes y:  y[i] = 2 * x[i]        x: host -> GPU
//   %shift (sm_90) reads y, writes z:  z[i] = y[i] + 1.5      y stays on the GPU
//   %mix   (sm_90) reads y, z, writes w: w[i] = y[i] * z[i]   y, z stay on the GPU
//   %total (x86_64) reads w, writes s: s = sum of w           w: GPU -> host
//
// At the end rank 0 copies y and z to the host to write the outputs.  The
// kernels use the full launch form: 16 blocks of 256 threads over 4000
// elements, with a bound guard on gpu.global_id.  (`--emit plan` lists the
// copies and the memrefs kept on the GPU.)
func.func @main(%x: memref<4000xf32>, %y: memref<4000xf32>, %z: memref<4000xf32>, %w: memref<4000xf32>, %s: memref<1xf32>) {
  avial.schedule %x, %y, %z, %w, %s : memref<4000xf32>, memref<4000xf32>, memref<4000xf32>, memref<4000xf32>, memref<1xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %cpu = avial.target {arch = "x86_64"}

    %scale = avial.task %gpu reads(%x) writes(%y) {
      %c1 = arith.constant 1 : index
      %c16 = arith.constant 16 : index
      %c256 = arith.constant 256 : index
      %n = arith.constant 4000 : index
      %two = arith.constant 2.000000e+00 : f32
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c16, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
        %i = gpu.global_id x
        %inside = arith.cmpi ult, %i, %n : index
        scf.if %inside {
          %v = memref.load %x[%i] : memref<4000xf32>
          %r = arith.mulf %v, %two : f32
          memref.store %r, %y[%i] : memref<4000xf32>
        }
        gpu.terminator
      }
      avial.yield
    }

    %shift = avial.task %gpu reads(%y) writes(%z) {
      %c1 = arith.constant 1 : index
      %c16 = arith.constant 16 : index
      %c256 = arith.constant 256 : index
      %n = arith.constant 4000 : index
      %half = arith.constant 1.500000e+00 : f32
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c16, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
        %i = gpu.global_id x
        %inside = arith.cmpi ult, %i, %n : index
        scf.if %inside {
          %v = memref.load %y[%i] : memref<4000xf32>
          %r = arith.addf %v, %half : f32
          memref.store %r, %z[%i] : memref<4000xf32>
        }
        gpu.terminator
      }
      avial.yield
    }

    %mix = avial.task %gpu reads(%y, %z) writes(%w) {
      %c1 = arith.constant 1 : index
      %c16 = arith.constant 16 : index
      %c256 = arith.constant 256 : index
      %n = arith.constant 4000 : index
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c16, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
        %i = gpu.global_id x
        %inside = arith.cmpi ult, %i, %n : index
        scf.if %inside {
          %a = memref.load %y[%i] : memref<4000xf32>
          %b = memref.load %z[%i] : memref<4000xf32>
          %r = arith.mulf %a, %b : f32
          memref.store %r, %w[%i] : memref<4000xf32>
        }
        gpu.terminator
      }
      avial.yield
    }

    %total = avial.task %cpu reads(%w) writes(%s) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = arith.constant 4000 : index
      %zero = arith.constant 0.000000e+00 : f32
      %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %w[%i] : memref<4000xf32>
        %next = arith.addf %acc, %v : f32
        scf.yield %next : f32
      }
      memref.store %sum, %s[%c0] : memref<1xf32>
      avial.yield
    }
  }
  return
}
