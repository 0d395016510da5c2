using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace FraudShield.AlertDispatch.Grpc;

/// <summary>
/// A request body that is not the method's protobuf message is answered INVALID_ARGUMENT naming the message type
/// (grpc-dotnet would report the parser's exception as UNKNOWN "Exception was thrown by handler."): the request
/// marshaller's parse failure becomes an <see cref="RpcException"/>, which the handler pipeline turns into its status.
/// </summary>
internal static class ValidatedRequests
{
    /// <summary>The <paramref name="method"/>'s request marshaller, with a parse failure reported as INVALID_ARGUMENT.</summary>
    public static Marshaller<TRequest> Marshaller<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        var generated = method.RequestMarshaller;
        return new Marshaller<TRequest>(generated.ContextualSerializer, context =>
        {
            try
            {
                return generated.ContextualDeserializer(context);
            }
            catch (InvalidProtocolBufferException)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"The request is not a valid {typeof(TRequest).Name} message"));
            }
        });
    }

    /// <summary><paramref name="method"/> with <see cref="Marshaller{TRequest, TResponse}"/> as its request marshaller.</summary>
    public static Method<TRequest, TResponse> Of<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class =>
        new(method.Type, method.ServiceName, method.Name, Marshaller(method), method.ResponseMarshaller);
}

/// <summary>
/// Binds a service derived from a generated gRPC base class (<see cref="BindServiceMethodAttribute"/>) as grpc-dotnet's
/// own binder does - every overridden method, with the type's and the method's attributes as endpoint metadata - but
/// with <see cref="ValidatedRequests"/> request marshallers. Registered in place of grpc-dotnet's default provider
/// (<see cref="DispatchServer"/>); services bound by a provider of their own (<see cref="AlertStreamMethodProvider"/>)
/// have no bind method and are left to it.
/// </summary>
/// <typeparam name="TService">The service implementation.</typeparam>
internal sealed class ValidatingServiceMethodProvider<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            // The attribute sits on the generated base class: BindService(ServiceBinderBase, thatBase).
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } bind
                && bind.BindType.GetMethod(bind.BindMethodName, BindingFlags.Public | BindingFlags.Static, [typeof(ServiceBinderBase), type]) is { } bindMethod)
            {
                bindMethod.Invoke(null, [new Binder(context, type), null]);
                return;
            }
        }
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type serviceBase) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Find<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(ValidatedRequests.Of(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Find<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(ValidatedRequests.Of(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Find<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(ValidatedRequests.Of(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Find<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(ValidatedRequests.Of(method), metadata, invoker);
        }

        // The implementation's override of the generated virtual method (one not overridden binds the generated base
        // method, which answers UNIMPLEMENTED, as with grpc-dotnet's binder), as an open delegate taking the service first.
        private (TDelegate Invoker, List<object> Metadata) Find<TDelegate>(string name, params Type[] parameters)
            where TDelegate : Delegate
        {
            var method = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters);
            if (method is null || !method.IsVirtual || method.GetBaseDefinition().DeclaringType != serviceBase)
            {
                throw new InvalidOperationException($"{typeof(TService).Name} does not override {serviceBase.Name}.{name}.");
            }

            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(method.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), method), metadata);
        }
    }
}
