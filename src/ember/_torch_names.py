"""The public names of PyTorch 2.13's modules that ember's lack: a missing name of one of
these modules that is not listed here (``torch.szie``, ``nn.Linaer``) PyTorch lacks too, and
gets its own ``AttributeError``; a listed one is named as unsupported by ember."""


def _names(text):
    return frozenset(text.split())


TORCH_ONLY = {
    "torch": _names(
        "AVG AcceleratorError AggregationType AliasDb AnyType Argument ArgumentSpec AwaitType "
        "BenchmarkConfig BenchmarkExecutionStats Block BoolType BufferDict CallStack Capsule "
        "ClassType Code CompilationUnit CompleteArgumentSpec ComplexType ConcreteModuleType "
        "ConcreteModuleTypeBuilder DeepCopyMemoTable DeserializationStorageContext "
        "DeviceObjType DictType DisableTorchFunction DisableTorchFunctionSubclass DispatchKey "
        "DispatchKeySet EnumType ErrorReport Event ExcludeDispatchKeyGuard ExecutionPlan "
        "FatalError FileCheck FloatType FunctionSchema Future FutureType GradScaler Gradient "
        "Graph GraphExecutorState IODescriptor InferredType IntType InterfaceType JITException "
        "ListType LiteScriptModule LockingLogger LoggerBase ModuleDict Node NoneType NoopLogger "
        "NumberType OperatorInfo OptionalType PRIVATE_OPS ParameterDict PyObjectType "
        "PyTorchFileReader PyTorchFileWriter QInt32Storage QInt8Storage QUInt2x4Storage "
        "QUInt4x2Storage QUInt8Storage RRefType SUM ScriptClass ScriptClassFunction ScriptDict "
        "ScriptDictIterator ScriptDictKeyIterator ScriptFunction ScriptList ScriptListIterator "
        "ScriptMethod ScriptModule ScriptModuleSerializer ScriptObject ScriptObjectProperty "
        "SerializationStorageContext StaticModule StorageBase Stream StreamObjType StringType "
        "SymBool SymBoolType SymFloat SymInt SymIntType TYPE_CHECKING Tag TensorType "
        "ThroughputBenchmark TracingState TupleType Type USE_GLOBAL_DEPS "
        "USE_RTLD_GLOBAL_WITH_LIBTORCH UnionType Use Value affine_grid_generator "
        "batch_norm_backward_elemt batch_norm_backward_reduce batch_norm_elemt "
        "batch_norm_gather_stats batch_norm_gather_stats_with_counts batch_norm_stats "
        "batch_norm_update_stats bit builtins ccol_indices_copy chalf choose_qparams_optimized "
        "classes classproperty col_indices_copy compiled_with_cxx11_abi complex32 "
        "contrib conv_tbc cpp crow_indices_copy ctypes "
        "cudnn_affine_grid_generator cudnn_batch_norm cudnn_convolution "
        "cudnn_convolution_add_relu cudnn_convolution_relu cudnn_convolution_transpose "
        "cudnn_grid_sampler cudnn_is_acceptable dsmm empty_quantized export "
        "fake_quantize_per_channel_affine fake_quantize_per_tensor_affine "
        "fbgemm_linear_fp16_weight fbgemm_linear_fp16_weight_fp32_activation "
        "fbgemm_linear_int8_weight fbgemm_linear_int8_weight_fp32_activation "
        "fbgemm_linear_quantize_weight fbgemm_pack_gemm_matrix_fp16 "
        "fbgemm_pack_quantized_matrix fork from_file functools fused_moving_avg_obs_fake_quant "
        "futures get_autocast_ipu_dtype get_autocast_xla_dtype get_file_path glob "
        "hsmm import_ir_module import_ir_module_from_buffer importlib indices_copy "
        "init_num_threads inspect is_autocast_ipu_enabled is_autocast_xla_enabled jagged "
        "legacy_contiguous_format lobpcg masked math merge_type_from_type_comment "
        "miopen_batch_norm miopen_convolution miopen_convolution_add_relu "
        "miopen_convolution_relu miopen_convolution_transpose miopen_ctc_loss "
        "miopen_depthwise_convolution miopen_rnn mkldnn_adaptive_avg_pool2d mkldnn_convolution "
        "mkldnn_linear_backward_weights mkldnn_max_pool2d mkldnn_max_pool3d mkldnn_rnn_layer "
        "monitor mtia native_norm nativert nested norm_except_dim numa onnx os package parse_ir "
        "parse_schema parse_type_comment platform prepare_multiprocessing_environment "
        "profiler_allow_cudagraph_cupti_lazy_reinit_cuda12 q_per_channel_axis "
        "q_per_channel_scales q_per_channel_zero_points q_scale q_zero_point "
        "quantized_batch_norm quantized_gru quantized_gru_cell quantized_lstm "
        "quantized_lstm_cell quantized_max_pool1d quantized_max_pool2d quantized_max_pool3d "
        "quantized_rnn_relu_cell quantized_rnn_tanh_cell resize_as_sparse_ row_indices_copy "
        "saddmm set_autocast_ipu_dtype set_autocast_ipu_enabled set_autocast_xla_dtype "
        "set_autocast_xla_enabled slice_inverse sym_constrain_range "
        "sym_constrain_range_for_size sym_fresh_size sys textwrap thread_safe_generator "
        "threading torch torch_version unify_type_list values_copy view_as_complex_copy "
        "view_as_real_copy wait warnings windows"),
    "torch.nn": _names(
        "backends common_types cpp factory_kwargs grad intrinsic qat quantizable"),
    "torch.nn.functional": _names(
        "BroadcastingList1 BroadcastingList2 BroadcastingList3 Callable DType "
        "GRID_SAMPLE_INTERPOLATION_MODES GRID_SAMPLE_PADDING_MODES Optional ScalingType "
        "SwizzleType TYPE_CHECKING Tensor assert_int_or_pair boolean_dispatch conv_tbc "
        "dataclasses grad grouped_mm handle_torch_function has_torch_function "
        "has_torch_function_unary has_torch_function_variadic importlib math np "
        "reproducibility_notes scaled_grouped_mm scaled_mm sparse_support_notes tf32_notes "
        "torch warnings"),
    "torch.nn.init": _names(
        "Callable Literal ParamSpec TypeVar torch warnings"),
    "torch.linalg": _names(
        "common_notes"),
    "torch.optim": _names(
        "swap_in_optimizer_params_and_state"),
    "torch.optim.lr_scheduler": _names(
        "Any Literal Self SupportsFloat TYPE_CHECKING TypedDict cast inf override ref warnings"),
    "torch.fft": _names(
        "common_args factory_common_args torch"),
    "torch.special": _names(
        "Tensor common_args multi_dim_common torch"),
    "torch.utils.data": _names(
        "DFIterDataPipe DataChunk IterDataPipe MapDataPipe argument_validation "
        "backward_compatibility datapipes functional_datapipe graph graph_settings "
        "guaranteed_datapipes_determinism non_deterministic runtime_validation "
        "runtime_validation_disabled"),
    "torchvision.transforms": frozenset(),  # (ember has all of its public names)
    "torchvision.models": _names("optical_flow quantization"),
    "torch.distributions": _names("exp_family"),
}
