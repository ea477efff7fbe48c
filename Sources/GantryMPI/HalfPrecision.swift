import CHalf
import CMPI

/// IEEE half precision for gradient compression (`--compress fp16`): gradients are encoded
/// to 16-bit halves, allreduced with a sum that adds each pair in float and rounds the
/// result back to half, and decoded to float. The conversions are the C kernels of CHalf
/// (F16C instructions on x86-64).
///
/// Halves carry 11 significant bits and reach 65504: an addition is exact to about 3
/// decimal digits, gradients below 6e-8 become 0, and above 65504 infinity (which the
/// trainer's finiteness check then reports).
public enum HalfPrecision {
    /// halves[i] = half(floats[i]), rounded to nearest even.
    public static func encode(_ floats: UnsafePointer<Float>, into halves: UnsafeMutablePointer<UInt16>, count: Int) {
        gantry_floats_to_halves(floats, halves, count)
    }

    /// floats[i] = float(halves[i]), exact.
    public static func decode(_ halves: UnsafePointer<UInt16>, into floats: UnsafeMutablePointer<Float>, count: Int) {
        gantry_halves_to_floats(halves, floats, count)
    }

    /// sums[i] = half(float(sums[i]) + float(addends[i])): one addition, in float, rounded
    /// once. Commutative, so every rank of a two-rank allreduce ends with the same bits.
    public static func add(_ addends: UnsafePointer<UInt16>, into sums: UnsafeMutablePointer<UInt16>, count: Int) {
        gantry_halves_add(addends, sums, count)
    }

    /// A new MPI reduction of half-precision values (sent as MPI_UINT16_T): `add`.
    static func makeSumOperation() throws -> MPI_Op {
        var created: MPI_Op? = nil
        try Communicator.check("MPI_Op_create", MPI_Op_create({ addends, sums, count, _ in
            HalfPrecision.add(addends!.assumingMemoryBound(to: UInt16.self), into: sums!.assumingMemoryBound(to: UInt16.self),
                              count: Int(count!.pointee))
        }, 1, &created))
        return created!
    }
}
