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
    "torch.cuda": _names(
        "AcceleratorError Any BFloat16Storage BFloat16Tensor BoolStorage BoolTensor ByteStorage "
        "ByteTensor CUDAPluggableAllocator Callable CharStorage CharTensor ComplexDoubleStorage "
        "ComplexFloatStorage CudaError DEVICE_REQUIREMENT DeferredCudaCallError Device "
        "DoubleStorage DoubleTensor ExternalStream FloatStorage FloatTensor GreenContext "
        "HalfStorage HalfTensor IntStorage IntTensor LongStorage LongTensor NewType Optional "
        "PYTORCH_RELEASES_CODE_CC ShortStorage ShortTensor TYPE_CHECKING "
        "caching_allocator_alloc caching_allocator_delete caching_allocator_disabled "
        "caching_allocator_enable cast change_current_allocator check_error classproperty "
        "cudaStatus cudart current_blas_handle current_solver_handle default_generators gds "
        "get_allocator_backend get_stream_from_external graphs green_contexts host_memory_stats "
        "host_memory_stats_as_nested_dict importlib jiterator lru_cache memory_snapshot nccl os "
        "platform profiler reset_accumulated_host_memory_stats reset_peak_host_memory_stats "
        "sparse streams threading torch traceback tunable warnings"),
    "torch.nn.utils": frozenset(),
    "torch.nn.utils.rnn": _names(
        "Any Callable PackedSequence_ Self TypeVar bind copy_method_params torch warnings"),
    "torch.testing": _names(
        "FileCheck"),
    "torch.jit": _names(
        "Iterator ONNXTracedModule RecursiveScriptClass TracingCheckError contextmanager "
        "frontend jit_module_from_flatbuffer last_executed_optimized_graph "
        "save_jit_module_to_flatbuffer set_module torch"),
    "torch.distributed": _names(
        "AllToAllOptions AllreduceCoalescedOptions AllreduceOptions Backend BackendConfig "
        "BarrierOptions BroadcastOptions BuiltinCommHookType DebugLevel DeviceMesh "
        "DistBackendError DistError DistNetworkError DistStoreError FileStore GatherOptions "
        "GradBucket GroupMember GroupName HashStore Logger P2POp PrefixStore ProcessGroup "
        "ProcessGroupGloo QueueEmptyError RankType ReduceOp ReduceOptions ReduceScatterOptions "
        "Reducer ScatterOptions Store TCPStore Work algorithms all_gather_coalesced "
        "all_gather_single all_reduce_coalesced all_to_all_single autograd batch_isend_irecv "
        "breakpoint c10d_logger config constants default_pg_timeout device_mesh "
        "distributed_c10d get_backend_config get_debug_level get_default_backend_for_device "
        "get_global_rank get_group_rank get_node_local_rank get_pg_count "
        "get_process_group_ranks group init_device_mesh init_process_group is_backend_available "
        "is_gloo_available is_mpi_available is_nccl_available is_torchelastic_launched "
        "is_ucc_available is_xccl_available log logging logging_handlers monitored_barrier "
        "new_subgroups new_subgroups_by_enumeration record_comm recv_object_list reduce_op "
        "reduce_scatter_single register_rendezvous_handler remote_device rendezvous rpc "
        "send_object_list set_debug_level set_debug_level_from_env shrink_group split_group "
        "supports_complex sys timedelta torch traceback typing utils"),
    "torch.nn.parallel": _names(
        "DistributedDataParallelCPU comm data_parallel deprecated distributed gather "
        "parallel_apply replicate scatter scatter_gather"),
    "torch.profiler": _names(
        "Any KinetoStepTracker Optimizer RecordScope TypeVarTuple Unpack is_fbcode os "
        "register_optimizer_step_post_hook"),
    "torch.compiler": _names(
        "Any CacheInfo Callable F FuncType NestedCompileRegionOptions ParamSpec TypeVar "
        "allow_in_graph assume_constant_result compile config contextlib "
        "cudagraph_mark_step_begin get_default_backend io is_exporting "
        "keep_portable_guards_unsafe keep_tensor_guards_unsafe list_backends "
        "load_cache_artifacts load_compiled_function nested_compile_region save_cache_artifacts "
        "set_default_backend set_enable_guard_collectives skip_all_guards_unsafe "
        "skip_guard_on_all_nn_modules_unsafe skip_guard_on_globals_unsafe "
        "skip_guard_on_inbuilt_nn_modules_unsafe substitute_in_graph torch wrap_numpy"),
    "torch.library": _names(
        "Any Callable EffectType NAMELESS_SCHEMA ParamSpec Sequence TYPE_CHECKING TypeVar Union "
        "contextlib deprecated device_types_t get_kernel overload re register_autocast "
        "register_torch_dispatch register_vmap torch weakref"),
}
