/// One optimizer update from accumulated gradients, the same for every trainer:
///
///     g ← clip(g)                          (`GradientClipping`, which also measures ‖g‖₂)
///     θ ← optimizer(θ, g)   unless the loss or ‖g‖ is NaN or infinite (then θ is unchanged)
///     g ← 0
///
/// A NaN or infinity must never reach the weights: the norm's one read pass finds it. With
/// `fuseSGD`, plain SGD (no momentum, no weight decay) under value clipping or none runs the
/// three lines as one pass over memory (`SGD.stepAndZero`) after a finiteness check — the
/// tutorial's per-example loop spends more time there than in the recurrence otherwise.
struct ParameterUpdate {
    let parameters: [Parameter]
    let optimizer: any Optimizer
    let clipping: GradientClipping
    /// The plain SGD whose step fuses with clipping and the gradient reset, and its clip value.
    let fusedSGD: SGD?
    let fusedClip: Float?
    /// Per-group learning-rate factors (fine-tuning), or nil for one rate for all.
    let plan: LearningRatePlan?

    init(parameters: [Parameter], optimizer: any Optimizer, clipping: GradientClipping, fuseSGD: Bool,
         plan: LearningRatePlan? = nil) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.clipping = clipping
        self.plan = plan
        var fused: SGD?, clip: Float?
        if fuseSGD, plan == nil, let sgd = optimizer as? SGD, sgd.momentum == 0, sgd.weightDecay == 0 {
            switch clipping {
            case .none: fused = sgd
            case .value(let v): (fused, clip) = (sgd, v)
            case .norm: break
            }
        }
        fusedSGD = fused
        fusedClip = clip
    }

    /// Applies the update and leaves the gradients zero; returns whether the step was taken.
    func apply(lossIsFinite: Bool) -> Bool {
        if let sgd = fusedSGD, lossIsFinite, gradientsAreFinite(parameters) {
            sgd.stepAndZero(parameters, clipValue: fusedClip)
            return true
        }
        guard let plan else {
            let norm = clipping.apply(to: parameters)
            let taken = lossIsFinite && norm.isFinite
            if taken { optimizer.step(parameters) }
            parameters.zeroGradients()
            return taken
        }
        // A frozen group's gradient must not shrink the others' through the clipping norm.
        for (group, factor) in zip(plan.groups, plan.factors) where factor == 0 { group.zeroGradients() }
        let norm = clipping.apply(to: parameters)
        let taken = lossIsFinite && norm.isFinite
        if taken {
            let base = optimizer.learningRate
            for (group, factor) in zip(plan.groups, plan.factors) where factor > 0 {
                optimizer.learningRate = base * factor
                optimizer.step(group)
            }
            optimizer.learningRate = base
        }
        parameters.zeroGradients()
        return taken
    }
}
