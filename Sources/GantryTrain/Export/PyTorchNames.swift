import GantryNN

/// A Gantry network's parameters and state under the names and shapes PyTorch gives the
/// equivalent `nn.Sequential` (docs/export.md), so that `load_state_dict` takes them as they are.
///
/// The Sequential holds Gantry's layers in Gantry's order, activations included: they have
/// no parameters, but they keep their index, so layer `i`'s tensors are named `i.weight`,
/// `i.bias`, and for BatchNorm also `i.running_mean`, `i.running_var` and
/// `i.num_batches_tracked`. Gantry stores every weight in PyTorch's own layout, so nothing is
/// transposed: Linear `(out, in)`, Conv2d `(out, in, k, k)`, ConvTranspose2d `(in, out, k, k)`
/// (each layer's file says so; the end-to-end tests run the exported weights through a numpy
/// forward pass). BatchNorm's scale and shift are PyTorch's `weight` and `bias`.
enum PyTorchNames {
    /// `layers` (a model's G or D, as built) holding `snapshot`'s parameters and state;
    /// `trainingPasses` is the number of training-mode forward passes the network made
    /// (PyTorch's `num_batches_tracked` of each BatchNorm).
    static func tensors(layers: [Layer], snapshot: any NetworkWeights, trainingPasses: Int) -> [ExportTensor] {
        var tensors: [ExportTensor] = []
        var parameterOffset = 0, stateOffset = 0
        for (index, layer) in layers.enumerated() {
            for block in layer.parameterTensors {
                let start = parameterOffset + block.offset
                tensors.append(ExportTensor(name: "\(index).\(name(of: block))", shape: shape(of: block, in: layer),
                                            values: snapshot.parameters[start..<start + block.count]))
            }
            if let batchNorm = layer as? BatchNorm {
                // Gantry's state of a BatchNorm: running means, then running variances.
                let channels = batchNorm.channels
                tensors.append(ExportTensor(name: "\(index).running_mean", shape: [channels],
                                            values: snapshot.state[stateOffset..<stateOffset + channels]))
                tensors.append(ExportTensor(name: "\(index).running_var", shape: [channels],
                                            values: snapshot.state[stateOffset + channels..<stateOffset + 2 * channels]))
                tensors.append(ExportTensor(name: "\(index).num_batches_tracked", scalar: Int64(trainingPasses)))
            } else {
                precondition(layer.stateCount == 0, "export: no PyTorch name for the state of \(layer.summary)")
            }
            parameterOffset += layer.parameterCount
            stateOffset += layer.stateCount
        }
        return tensors
    }

    private static func name(of block: ParameterTensor) -> String {
        switch block.role {
        case .weight, .scale: return "weight"
        case .bias, .shift: return "bias"
        }
    }

    private static func shape(of block: ParameterTensor, in layer: Layer) -> [Int] {
        guard block.role == .weight else { return [block.count] }
        let shape: [Int]
        switch layer {
        case let linear as Linear:
            shape = [linear.outFeatures, linear.inFeatures]
        case let convolution as Conv2d:
            shape = [convolution.outChannels, convolution.inChannels, convolution.kernel, convolution.kernel]
        case let convolution as ConvTranspose2d:
            shape = [convolution.inChannels, convolution.outChannels, convolution.kernel, convolution.kernel]
        default:
            preconditionFailure("export: no PyTorch shape for the weight of \(layer.summary)")
        }
        precondition(shape.reduce(1, *) == block.count, "export: shape \(shape) does not hold \(layer.summary)'s \(block.count) weights")
        return shape
    }
}
