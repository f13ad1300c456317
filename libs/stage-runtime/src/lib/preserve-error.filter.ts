import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Nest's default RPC exception filter replaces every non-RpcException with
 * "Internal server error". The stage runtime needs the real error (its code
 * and retriability decide retry vs dead letter, and its message is the
 * dead letter's reason), so this filter passes it through untouched.
 */
@Catch()
export class PreserveErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
