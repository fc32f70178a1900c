"""PyTorch's aten operators that ember maps onto its own functions (``torch.ops.aten``).

One ``name:where:overloads`` item per operator: ``where`` is ``t`` (``ember.<name>``), ``m``
(the tensor method of the first argument) or ``f`` (``ember.nn.functional.<name>``); the
overload names are the ones PyTorch 2.13 has for the operator.
"""

TABLE = """
abs:t:default,out abs_:t:default absolute:t:default,out absolute_:m:default
acos:t:default,out,int,float,complex,Scalar acos_:t:default
acosh:t:default,out,int,float,complex,Scalar acosh_:t:default adaptive_avg_pool1d:t:default,out
adaptive_avg_pool2d:f:default,out adaptive_avg_pool3d:f:default,out
adaptive_max_pool1d:t:default adaptive_max_pool2d:f:default,out
add:t:Tensor,Scalar,out,Scalar_out,t,str,int,complex,float,int_complex,complex_int,float_complex,complex_float,int_float,float_int,default
add_:m:Tensor,Scalar,t addbmm:t:default,out addbmm_:m:default addcdiv:t:default,out
addcdiv_:m:default addcmul:t:default,out addcmul_:m:default addmm:t:default,out,dtype_out,dtype
addmm_:m:default addmv:t:default,out addmv_:t:default addr:t:default,out addr_:m:default
adjoint:t:default alias_copy:t:default,out
all:t:default,dim,dims,out,dims_out,all_out,int,float,bool allclose:t:default
alpha_dropout:t:default alpha_dropout_:t:default amax:t:default,out amin:t:default,out
aminmax:t:default,out angle:t:default,out,int,float,complex,Scalar
any:t:default,dim,dims,out,dims_out,all_out,str,int,float,bool
arange:t:default,start,start_step,start_out,out arccos:t:default,out arccos_:t:default
arccosh:t:default,out arccosh_:t:default arcsin:t:default,out arcsin_:t:default
arcsinh:t:default,out arcsinh_:t:default arctan:t:default,out arctan2:t:default,out
arctan2_:m:default arctan_:t:default arctanh:t:default,out arctanh_:t:default
argmax:t:default,out argmin:t:default,out argsort:t:default,stable,stable_out
argwhere:t:default as_strided:t:default as_strided_:t:default as_strided_copy:t:default,out
as_strided_scatter:t:default,out as_tensor:t:bool,float,int,complex,default,list
asin:t:default,out,int,float,complex,Scalar asin_:t:default
asinh:t:default,out,int,float,complex,Scalar asinh_:t:default
atan:t:default,out,int,float,complex,Scalar
atan2:t:default,out,int,float,int_float,float_int,Scalar_Scalar atan2_:m:default
atan_:t:default atanh:t:default,out,int,float,complex,Scalar atanh_:t:default
atleast_1d:t:default,Sequence atleast_2d:t:default,Sequence atleast_3d:t:default,Sequence
avg_pool1d:t:default,out avg_pool2d:t:default,out avg_pool3d:f:default,out
backward:m:default,TensorList baddbmm:t:default,out,dtype_out,dtype baddbmm_:m:default
bartlett_window:t:default,periodic,out,periodic_out batch_norm:t:default
bernoulli:t:default,out,p,Tensor,Tensor_out,float_out bernoulli_:m:Tensor,float
bilinear:t:default binary_cross_entropy_with_logits:t:default,out bincount:t:default,out
binomial:t:default,out
bitwise_and:t:Tensor,Scalar,Scalar_Tensor,Tensor_out,Scalar_out,Scalar_Tensor_out
bitwise_and_:m:Tensor,Scalar
bitwise_left_shift:t:Tensor,Tensor_Scalar,Scalar_Tensor,Tensor_out,Tensor_Scalar_out,Scalar_Tensor_out
bitwise_left_shift_:m:Tensor_Scalar,Tensor bitwise_not:t:default,out bitwise_not_:m:default
bitwise_or:t:Tensor,Scalar,Scalar_Tensor,Tensor_out,Scalar_out,Scalar_Tensor_out
bitwise_or_:m:Tensor,Scalar
bitwise_right_shift:t:Tensor,Tensor_Scalar,Scalar_Tensor,Tensor_out,Tensor_Scalar_out,Scalar_Tensor_out
bitwise_right_shift_:m:Tensor_Scalar,Tensor
bitwise_xor:t:Tensor,Scalar,Scalar_Tensor,Tensor_out,Scalar_out,Scalar_Tensor_out
bitwise_xor_:m:Tensor,Scalar blackman_window:t:default,periodic,out,periodic_out
block_diag:t:default,out bmm:t:default,out,dtype_out,dtype broadcast_tensors:t:default
broadcast_to:t:default bucketize:t:Tensor,Scalar,Tensor_out,Scalar_out cartesian_prod:t:default
cat:t:default,out cauchy_:m:default cdist:t:default ceil:t:default,out,int,float,Scalar
ceil_:t:default celu:t:default,out celu_:t:default chain_matmul:t:default,out
channel_shuffle:t:default,out cholesky:t:default,out cholesky_inverse:t:default,out
cholesky_solve:t:default,out chunk:t:default clamp:t:default,Tensor,out,Tensor_out
clamp_:t:default,Tensor clamp_max:t:default,Tensor,out,Tensor_out clamp_max_:t:default,Tensor
clamp_min:t:default,Tensor,out,Tensor_out clamp_min_:t:default,Tensor
clip:t:default,Tensor,out,Tensor_out clip_:t:default,Tensor clone:t:default,out
column_stack:t:default,out combinations:t:default complex:t:default,out concat:t:default,out
concatenate:t:default,out conj:t:default conj_physical:t:default,out
constant_pad_nd:t:default,out contiguous:m:default conv1d:t:default,padding
conv2d:t:default,padding conv3d:t:default,padding conv_transpose1d:t:default
conv_transpose2d:t:input conv_transpose3d:t:input convolution:t:default,out
copy_:m:default,Tensor,int,float
copysign:t:Tensor,Scalar,out,Scalar_out,int,float,int_float,float_int,default
copysign_:m:Tensor,Scalar corrcoef:t:default cos:t:default,out,int,float,complex,Scalar
cos_:t:default cosh:t:default,out,int,float,complex,Scalar cosh_:t:default
cosine_embedding_loss:t:default cosine_similarity:t:default
count_nonzero:t:default,dim_IntList,dim_IntList_out,out cov:t:default cpu:m:default
cross:t:default,out ctc_loss:t:IntList,Tensor cuda:m:default cummax:t:default,out
cummin:t:default,out cumprod:t:default,out cumprod_:m:default cumsum:t:default,out
cumsum_:m:default cumulative_trapezoid:t:x,dx deg2rad:t:default,out deg2rad_:t:default
det:t:default detach:t:default detach_:t:default detach_copy:t:default,out diag:t:default,out
diag_embed:t:default,out diagflat:t:default diagonal:t:default diagonal_copy:t:default,out
diagonal_scatter:t:default,out diff:t:default,out digamma:t:default,out digamma_:m:default
dim:m:default dist:t:default,out
div:t:Tensor,Scalar,Tensor_mode,Scalar_mode,out,out_mode,Scalar_out,Scalar_mode_out,int,complex,float,default
div_:m:Tensor,Tensor_mode,Scalar,Scalar_mode
divide:t:Tensor,Scalar,Tensor_mode,Scalar_mode,out,out_mode
divide_:m:Tensor,Tensor_mode,Scalar_mode,Scalar dot:t:default,out dropout:t:default
dropout_:t:default dsplit:t:int,array dstack:t:default,out einsum:t:default,sublist
element_size:m:default elu:f:default,out elu_:f:default embedding:t:default,out
embedding_bag:t:default,padding_idx embedding_renorm_:t:default empty:t:memory_format,out
empty_like:t:default,out empty_permuted:t:default,out empty_strided:t:default,out
eq:t:Tensor,Scalar,Scalar_out,Tensor_out,int_list,device,bool,enum,int,complex,float,int_float,float_int,float_complex,complex_float,default,str,float_list,Tensor_list,bool_list,str_list
eq_:m:Scalar,Tensor equal:t:default erf:t:default,out,int,float,Scalar erf_:t:default
erfc:t:default,out,int,float,Scalar erfc_:t:default erfinv:t:default,out erfinv_:m:default
exp:t:default,out,int,float,complex,Scalar exp2:t:default,out exp2_:t:default exp_:t:default
expand:m:default expand_as:m:default expand_copy:t:default,out
expm1:t:default,out,int,float,Scalar expm1_:t:default exponential_:m:default
eye:t:default,m,out,m_out feature_alpha_dropout:t:default feature_alpha_dropout_:t:default
feature_dropout:t:default feature_dropout_:t:default fill:t:Scalar,Scalar_out,Tensor,Tensor_out
fill_:t:Scalar,Tensor fill_diagonal_:m:default fix:t:default,out fix_:t:default
flatten:t:using_ints flip:t:default,out fliplr:t:default flipud:t:default
float_power:t:Tensor_Tensor,Tensor_Scalar,Scalar,Tensor_Tensor_out,Scalar_out,Tensor_Scalar_out
float_power_:m:Tensor,Scalar floor:t:default,out,int,float,Scalar floor_:t:default
floor_divide:t:default,Scalar,out,Scalar_out floor_divide_:m:Tensor,Scalar fmax:t:default,out
fmin:t:default,out
fmod:t:Tensor,Scalar,Tensor_out,Scalar_out,int,float,int_float,float_int,default
fmod_:m:Tensor,Scalar frac:t:default,out frac_:t:default frexp:t:Tensor,Tensor_out,default
frobenius_norm:t:dim,out full:t:default,out full_like:t:default,out gather:t:default,out
gcd:t:default,out,int gcd_:t:default
ge:t:Tensor,Scalar,Scalar_out,Tensor_out,int,float,int_float,float_int,default,str
ge_:m:Scalar,Tensor gelu:f:default,out geometric_:m:default geqrf:t:default,a ger:t:default,out
get_device:t:default glu:f:default,out
gradient:t:scalarint,scalararray,array,scalarrayint,scalarrayarray,tensorarrayint,tensorarray
greater:t:Tensor,Scalar,Scalar_out,Tensor_out greater_:m:Scalar,Tensor
greater_equal:t:Tensor,Scalar,Scalar_out,Tensor_out greater_equal_:m:Scalar,Tensor
grid_sampler:t:default grid_sampler_2d:t:default,out grid_sampler_3d:t:default,out
group_norm:t:default gru_cell:t:default
gt:t:Tensor,Scalar,Scalar_out,Tensor_out,int,float,int_float,float_int,default,str
gt_:m:Scalar,Tensor
hamming_window:t:default,periodic,periodic_alpha,periodic_alpha_beta,out,periodic_out,periodic_alpha_out,periodic_alpha_beta_out
hann_window:t:default,periodic,out,periodic_out hardshrink:t:default,out
hardsigmoid:f:default,out hardswish:f:default,out hardtanh:f:default,out hardtanh_:f:default
heaviside:t:default,out heaviside_:m:default hinge_embedding_loss:t:default histc:t:default,out
histogram:t:bins_tensor,bins_tensor_out,bin_ct,bin_ct_out
histogramdd:t:default,int_bins,TensorList_bins hsplit:t:int,array hstack:t:default,out
hypot:t:default,out hypot_:m:default i0:t:default,out i0_:t:default igamma:t:default,out
igamma_:m:default igammac:t:default,out igammac_:m:default imag:t:default
index_add:t:default,out index_add_:m:default index_copy:t:default,out index_copy_:m:default
index_fill:t:int_Tensor,int_Scalar,int_Scalar_out,int_Tensor_out
index_fill_:m:int_Tensor,int_Scalar index_put:t:default,out,hacked_twin
index_put_:t:default,hacked_twin index_reduce:t:default,out index_reduce_:m:default
index_select:t:default,out inner:t:default,out instance_norm:t:default inverse:t:default,out
is_complex:t:default is_conj:t:default is_contiguous:m:default,memory_format
is_floating_point:t:default is_inference:t:default is_neg:t:default is_nonzero:t:default
is_pinned:m:default is_same_size:t:default is_set_to:m:default is_signed:t:default
isclose:t:default isfinite:t:default,float,complex
isin:t:Tensor_Tensor,Tensor_Tensor_out,Tensor_Scalar,Tensor_Scalar_out,Scalar_Tensor,Scalar_Tensor_out
isinf:t:default,out,float,complex isnan:t:default,out,float,complex isneginf:t:default,out
isposinf:t:default,out isreal:t:default item:m:default
kaiser_window:t:default,periodic,beta,out,periodic_out,beta_out kl_div:t:default
kron:t:default,out kthvalue:t:default,values layer_norm:t:default lcm:t:default,out
lcm_:t:default ldexp:t:Tensor,out,default ldexp_:t:default
le:t:Tensor,Scalar,Scalar_out,Tensor_out,int,float,int_float,float_int,default,str
le_:m:Scalar,Tensor leaky_relu:f:default,out leaky_relu_:f:default
lerp:t:Scalar,Tensor,Scalar_out,Tensor_out lerp_:m:Scalar,Tensor
less:t:Tensor,Scalar,Scalar_out,Tensor_out less_:m:Scalar,Tensor
less_equal:t:Tensor,Scalar,Scalar_out,Tensor_out less_equal_:m:Scalar,Tensor
lgamma:t:default,out,int,float,Scalar lgamma_:m:default linear:f:default,out
linspace:t:Tensor_Tensor,Tensor_Scalar,Scalar_Tensor,default,out,Tensor_Tensor_out,Tensor_Scalar_out,Scalar_Tensor_out
log:t:default,out,int,float,complex,Scalar,int_int,float_float,complex_complex,int_float,float_int,int_complex,complex_int,float_complex,complex_float,Scalar_Scalar
log10:t:default,out,int,float,complex,Scalar log10_:t:default
log1p:t:default,out,int,float,Scalar log1p_:t:default log2:t:default,out log2_:t:default
log_:t:default log_normal_:m:default log_softmax:t:int,int_out logaddexp:t:default,out
logaddexp2:t:default,out logcumsumexp:t:default,out logdet:t:default logical_and:t:default,out
logical_and_:m:default logical_not:t:default,out logical_not_:m:default
logical_or:t:default,out logical_or_:m:default logical_xor:t:default,out logical_xor_:m:default
logit:t:default,out logit_:t:default
logspace:t:Tensor_Tensor,Tensor_Scalar,Scalar_Tensor,default,out,Tensor_Tensor_out,Tensor_Scalar_out,Scalar_Tensor_out
logsumexp:t:default,out lstm_cell:t:default
lt:t:Tensor,Scalar,Scalar_out,Tensor_out,int,float,int_float,float_int,default,str
lt_:m:Scalar,Tensor lu_solve:t:default,out lu_unpack:t:default,out
margin_ranking_loss:t:default masked_fill:t:Scalar,Scalar_out,Tensor,Tensor_out
masked_fill_:m:Scalar,Tensor masked_scatter:t:default,out masked_scatter_:m:default
masked_select:t:default,out matmul:t:default,out matrix_exp:t:default
matrix_power:t:default,out max:t:other,default,dim,dim_max,unary_out,out max_pool1d:t:default
max_pool1d_with_indices:t:default max_pool2d:t:default max_pool3d:t:default
maximum:t:default,out mean:t:default,dim,out,dtype_out median:t:default,dim,dim_values,out
meshgrid:t:default,indexing min:t:other,default,dim,dim_min,unary_out,out minimum:t:default,out
mish:f:default,out mm:t:default,out,dtype_out,dtype mode:t:default,values
moveaxis:t:intlist,int movedim:t:int,intlist msort:t:default,out
mul:t:Tensor,Scalar,out,Scalar_out,left_t,right_,int,complex,float,int_complex,complex_int,float_complex,complex_float,int_float,float_int,default
mul_:m:Tensor,Scalar,t multinomial:t:default,out multiply:t:Tensor,Scalar,out
multiply_:m:Tensor,Scalar mv:t:default,out mvlgamma:t:default,out mvlgamma_:m:default
nan_to_num:t:default,out nan_to_num_:t:default nanmean:t:default,out
nanmedian:t:default,dim,dim_values,out nanquantile:t:default,scalar,out,scalar_out
nansum:t:default,out narrow:t:default,Tensor narrow_copy:t:default,out
native_batch_norm:t:default,out native_channel_shuffle:t:default native_dropout:t:default,out
native_group_norm:t:default,out native_layer_norm:t:default,out
ne:t:Tensor,Scalar,Scalar_out,Tensor_out,int_list,device,bool,enum,int,complex,float,int_float,float_int,float_complex,complex_float,default,str,float_list,Tensor_list,bool_list,str_list
ne_:m:Scalar,Tensor neg:t:default,out,int,float,complex,Scalar neg_:t:default
negative:t:default,out negative_:t:default new_empty:m:default,out
new_empty_strided:m:default,out new_full:m:default,out new_ones:m:default,out
new_zeros:m:default,out nextafter:t:default,out nextafter_:m:default nonzero:t:default,out
nonzero_static:t:default,out
norm:t:Scalar,ScalarOpt_dim,ScalarOpt_dim_dtype,dtype_out,out,ScalarOpt_dtype,ScalarOpt_dtype_out,Scalar_out
normal:t:Tensor_float,Tensor_float_out,float_Tensor_out,float_Tensor,Tensor_Tensor,Tensor_Tensor_out,float_float,float_float_out,out
normal_:m:default not_equal:t:Tensor,Scalar,Scalar_out,Tensor_out not_equal_:m:Scalar,Tensor
nuclear_norm:t:default,dim,out,dim_out numel:t:default one_hot:f:default ones:t:default,out
ones_like:t:default,out orgqr:t:default,out ormqr:t:default,out outer:t:default,out
pad:f:default pairwise_distance:t:default pdist:t:default permute:t:default
permute_copy:t:default,out pin_memory:m:default pinverse:t:default pixel_shuffle:t:default,out
pixel_unshuffle:t:default,out poisson:t:default,out poisson_nll_loss:t:default
polar:t:default,out,int,float,int_float,float_int,Scalar_Scalar polygamma:t:default,out
polygamma_:m:default positive:t:default
pow:t:Tensor_Tensor,Tensor_Scalar,Scalar,Tensor_Tensor_out,Scalar_out,Tensor_Scalar_out,int,complex,float,int_float,float_int,float_complex,complex_float,Scalar_Scalar,int_to_int
pow_:m:Scalar,Tensor prelu:t:default prod:t:default,dim_int,int_out,out put:t:default,out
put_:m:default qr:t:default,Q quantile:t:default,scalar,out,scalar_out rad2deg:t:default,out
rad2deg_:t:default rand:t:default,generator,out,generator_out
rand_like:t:default,generator,out,generator_out
randint:t:default,generator,low,low_generator,out,generator_out,low_out,low_generator_out
randint_like:t:default,Tensor,low_dtype,generator,Tensor_generator,low_generator_dtype,out,generator_out,Tensor_out,Tensor_generator_out,low_dtype_out,low_generator_dtype_out
randn:t:default,generator,out,generator_out randn_like:t:default,generator,out,generator_out
random_:m:from,to,default randperm:t:default,generator,out,generator_out
range:t:step,default,out,out_ ravel:t:default real:t:default reciprocal:t:default,out
reciprocal_:t:default relu:t:default,out relu6:f:default relu_:t:default
remainder:t:Tensor,Scalar,Scalar_Tensor,Tensor_out,Scalar_out,Scalar_Tensor_out,int,float,int_float,float_int,default
remainder_:m:Tensor,Scalar renorm:t:default,out renorm_:m:default repeat:m:default,out
repeat_interleave:t:Tensor,self_Tensor,self_int,Tensor_out requires_grad_:m:default
reshape:t:default reshape_as:m:default resize:m:default,out resize_:m:default
resize_as:m:default,out resize_as_:t:default resolve_conj:t:default resolve_neg:t:default
retain_grad:m:default rms_norm:t:default rnn_relu_cell:t:default rnn_tanh_cell:t:default
roll:t:default,out rot90:t:default,out
round:t:default,decimals,out,decimals_out,int,float,Scalar round_:t:default,decimals
row_stack:t:default,out rrelu:t:default rrelu_:t:default rsqrt:t:default,out rsqrt_:t:default
rsub:t:Tensor,Scalar,Tensor_out,Scalar_out save:t:default scalar_tensor:t:default,out
scaled_dot_product_attention:f:default
scatter:t:value,src,reduce,value_reduce,src_out,value_out,reduce_out,value_reduce_out
scatter_:m:src,value,reduce,value_reduce scatter_add:t:default,out scatter_add_:m:default
scatter_reduce:t:two,two_out scatter_reduce_:m:two
searchsorted:t:Tensor,Tensor_out,Scalar,Scalar_out select:t:int,t select_copy:t:int,int_out
select_scatter:t:default,out selu:t:default selu_:t:default
set_:m:source_Storage_storage_offset,source_Tensor,default,source_Storage,source_Tensor_storage_offset
sgn:t:default,out sgn_:m:default sigmoid:t:default,out sigmoid_:t:default sign:t:default,out
sign_:m:default signbit:t:default,out silu:f:default,out
sin:t:default,out,int,float,complex,Scalar sin_:t:default sinc:t:default,out sinc_:t:default
sinh:t:default,out,int,float,complex,Scalar sinh_:t:default size:m:int,default
slice_copy:t:Tensor,Tensor_out slice_scatter:t:default,out slogdet:t:default,out
softmax:t:int,int_out softplus:f:default,out softshrink:f:default,out
sort:t:default,stable,values_stable,values,int,float,Tensor,bool,str,any
sparse_coo_tensor:t:size,indices,indices_size,size_out sparse_mask:m:out,default
split:t:Tensor,sizes,str,default split_copy:t:Tensor,Tensor_out split_with_sizes:t:default
split_with_sizes_copy:t:default,out sqrt:t:default,out,int,float,complex,Scalar sqrt_:t:default
square:t:default,out square_:t:default squeeze:t:default,dim,dims squeeze_:m:default,dim,dims
squeeze_copy:t:default,dim,dims,out,dim_out,dims_out stack:t:default,out
std:t:default,dim,correction,correction_out,out
std_mean:t:default,dim,correction,correction_out storage_offset:m:default stride:m:int,default
sub:t:Tensor,Scalar,out,Scalar_out,int,complex,float,int_complex,complex_int,float_complex,complex_float,int_float,float_int,default
sub_:m:Tensor,Scalar subtract:t:Tensor,out,Scalar subtract_:m:Tensor,Scalar
sum:t:dim_IntList,default,IntList_out,out,int,float,complex,bool sum_to_size:m:default
svd:t:default,U swapaxes:t:default swapaxes_:m:default swapdims:t:default swapdims_:m:default
t:t:default t_:m:default t_copy:t:default,out take:t:default,out take_along_dim:t:default,out
tan:t:default,out,int,float,complex,Scalar tan_:t:default
tanh:t:default,out,int,float,complex,Scalar tanh_:t:default
tensor:t:bool,float,int,complex,default
tensor_split:t:sections,indices,tensor_indices_or_sections tensordot:t:default,out
threshold:t:default,out threshold_:t:default tile:t:default
to:m:device,dtype,other,dtype_layout,prim_Device,prim_dtype,prim_other to_dense:m:default
to_sparse:m:sparse_dim,default topk:t:default,values trace:t:default,out transpose:t:int
transpose_:m:default transpose_copy:t:int,int_out trapezoid:t:x,dx trapz:t:x,dx
triangular_solve:t:default,X tril:t:default,out tril_:m:default tril_indices:t:default,out
triplet_margin_loss:t:default triu:t:default,out triu_:m:default triu_indices:t:default,out
true_divide:t:Tensor,Scalar,out true_divide_:m:Tensor,Scalar trunc:t:default,out
trunc_:t:default type_as:m:default unbind:t:int unbind_copy:t:int,int_out unflatten:t:int
unfold:m:default unfold_copy:t:default,out uniform_:m:default unique_consecutive:t:default,out
unsafe_chunk:t:default unsafe_split:t:Tensor,Tensor_out unsafe_split_with_sizes:t:default,out
unsqueeze:t:default unsqueeze_:m:default unsqueeze_copy:t:default,out vander:t:default
var:t:default,dim,correction,correction_out,out
var_mean:t:default,dim,correction,correction_out vdot:t:default,out view:m:default,dtype
view_as:m:default view_as_complex:t:default view_as_real:t:default
view_copy:t:default,dtype,out,dtype_out vsplit:t:int,array vstack:t:default,out
where:t:self,ScalarOther,ScalarSelf,Scalar,default,self_out
xlogy:t:Tensor,Scalar_Other,Scalar_Self,OutTensor,OutScalar_Self,OutScalar_Other
xlogy_:t:Tensor,Scalar_Other zero_:t:default zeros:t:default,out zeros_like:t:default,out
"""
