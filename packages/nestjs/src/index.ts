// @lastcall/nestjs public surface: the module, its service and options, its error. No deep imports.
export {
  isLastcallNotReadyError,
  LastcallModule,
  type LastcallModuleOptions,
  LastcallNotReadyError,
  LastcallService,
} from './LastcallModule.js';
