/// Reduced copies (`ReducedMatrix`, bfloat16 or int8) of one recurrent layer's weights for a
/// forward without gradients: W_ih (G·H, I), read once per sequence for all its steps, and W_hh
/// (G·H, H), read at every step.
package struct ReducedLayerWeights: @unchecked Sendable {
    package let input: ReducedMatrix
    package let recurrent: ReducedMatrix

    package init(_ layer: RecurrentLayer, precision: WeightPrecision) {
        input = ReducedMatrix(precision, layer.weightIH.value)
        recurrent = ReducedMatrix(precision, layer.weightHH.value)
    }
}
